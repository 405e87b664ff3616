import type { Context, Hono } from "hono";
import { badParam, MonzoHttpError, missingParam } from "../http/errors.js";
import { Params } from "../http/params.js";
import type { EmulatorState } from "../state.js";
import { IdGenerator } from "../util/ids.js";
import { formatTime } from "../util/time.js";
import { approved, requireId } from "./guard.js";

const MAX_UPLOAD = 25 * 1024 * 1024;

/**
 * Attachments (REFERENCE §9): upload hands out a URL on the emulator's own storage (`/_storage/…`,
 * PUT or POST, like a presigned S3 URL), register puts the file on the transaction, deregister removes it.
 */
export function attachmentRoutes(app: Hono, state: EmulatorState): void {
  app.post("/attachment/upload", async (c) => {
    const grant = approved(c, state);
    const form = await Params.fromForm(c.req.raw);
    const fileName = form.get("file_name");
    const fileType = form.get("file_type");
    const length = form.get("content_length");
    if (!fileName) throw missingParam("file_name");
    if (!fileType) throw missingParam("file_type");
    if (!length) throw missingParam("content_length");
    if (!/^\d{1,9}$/.test(length) || Number(length) > MAX_UPLOAD) {
      throw badParam(
        "content_length",
        `The field 'content_length' must be a number of bytes up to ${MAX_UPLOAD}`,
      );
    }
    if (!/^[\w.+-]+\/[\w.+-]+$/.test(fileType))
      throw badParam("file_type", "The field 'file_type' must be a MIME type");
    const safeName = fileName.replace(/[^\w.-]+/g, "_").slice(-100);
    const key = `${grant.userId}/${IdGenerator.random(20)}-${safeName}`;
    state.files.set(key, {
      userId: grant.userId,
      fileName,
      fileType,
      contentLength: Number(length),
      bytes: undefined,
    });
    const base = baseUrl(c, state);
    const signature = IdGenerator.random(32);
    return c.json({
      file_url: `${base}/_storage/${key}`,
      upload_url: `${base}/_storage/${key}?AWSAccessKeyId=EMULATOR&Expires=${Math.floor(state.clock.now() / 1000) + 900}&Signature=${signature}`,
    });
  });

  app.post("/attachment/register", async (c) => {
    const grant = approved(c, state);
    const form = await Params.fromForm(c.req.raw);
    const externalId = requireId(form.get("external_id"), "external_id", "tx");
    const fileUrl = form.get("file_url");
    const fileType = form.get("file_type");
    if (!fileUrl) throw missingParam("file_url");
    if (!fileType) throw missingParam("file_type");
    const record = state.bank.transaction(externalId);
    const account = record && state.bank.accounts.get(record.accountId);
    if (!record || !account?.ownerIds.includes(grant.userId))
      throw new MonzoHttpError("not_found.transaction", "Transaction not found");
    const attachment = {
      id: state.ids.next("attach"),
      user_id: grant.userId,
      external_id: externalId,
      file_url: fileUrl,
      file_type: fileType,
      created: formatTime(state.clock.now()),
    };
    state.attachments.set(attachment.id, attachment);
    const json = record.pin();
    json.attachments = [...(json.attachments ?? []), attachment];
    return c.json({ attachment });
  });

  app.post("/attachment/deregister", async (c) => {
    const grant = approved(c, state);
    const form = await Params.fromForm(c.req.raw);
    const id = requireId(form.get("id"), "id", "attach");
    const attachment = state.attachments.get(id);
    if (!attachment || attachment.user_id !== grant.userId)
      throw new MonzoHttpError("not_found.attachment", "Attachment not found");
    state.attachments.delete(id);
    const record = state.bank.transaction(attachment.external_id);
    if (record) {
      const json = record.pin();
      const rest = (json.attachments ?? []).filter((a) => a.id !== id);
      json.attachments = rest.length > 0 ? rest : null;
    }
    return c.json({});
  });
}

/** The fake object storage behind `upload_url` and `file_url`. */
export function storageRoutes(app: Hono, state: EmulatorState): void {
  const upload = async (c: Context) => {
    const key = c.req.path.slice("/_storage/".length);
    const file = state.files.get(decodeURIComponent(key));
    if (!file || !new URL(c.req.url).searchParams.get("Signature")) {
      return c.text("AccessDenied: no upload was requested for this key, or the URL is not signed", 403);
    }
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length > MAX_UPLOAD) return c.text("EntityTooLarge", 400);
    file.bytes = bytes;
    return c.body(null, 200);
  };
  app.put("/_storage/*", upload);
  app.post("/_storage/*", upload);
  app.get("/_storage/*", (c) => {
    const file = state.files.get(decodeURIComponent(c.req.path.slice("/_storage/".length)));
    if (!file?.bytes) return c.text("NoSuchKey", 404);
    return c.body(file.bytes.slice().buffer, 200, { "content-type": file.fileType });
  });
}

export function baseUrl(c: Context, state: EmulatorState): string {
  return (state.options.baseUrl ?? new URL(c.req.url).origin).replace(/\/$/, "");
}
