import * as v from "valibot";
import { InvalidArgumentError } from "../errors/client-errors.js";
import type { AttachmentId, TransactionId } from "../models/ids.js";
import { type Attachment, AttachmentSchema, parse, unwrap } from "../models/schemas.js";
import type { CallOptions } from "../transport/transport.js";
import { Resource } from "./resource.js";

const UploadSchema = v.looseObject({ file_url: v.string(), upload_url: v.string() });

/**
 * Attachments: images on transactions (REFERENCE §9).
 *
 * @example await client.attachments.upload({ transactionId, data, fileName: "r.png", fileType: "image/png" });
 */
export class Attachments extends Resource {
  /**
   * Uploads a file and attaches it to a transaction, all three steps: ask for an upload URL, PUT the
   * bytes there, register the file on the transaction.
   *
   * @example await client.attachments.upload({ transactionId, data: bytes, fileName: "receipt.png", fileType: "image/png" });
   * @see https://docs.monzo.com/#upload-attachment
   */
  async upload(
    params: {
      transactionId: TransactionId | string;
      data: Uint8Array | Blob;
      fileName: string;
      fileType: string;
    },
    options?: CallOptions,
  ): Promise<Attachment> {
    const size = params.data instanceof Blob ? params.data.size : params.data.byteLength;
    if (!params.fileName)
      throw new InvalidArgumentError("fileName is empty", "Pass the file's name, e.g. receipt.png.");
    if (!/^[\w.+-]+\/[\w.+-]+$/.test(params.fileType))
      throw new InvalidArgumentError(
        `fileType "${params.fileType}" is not a MIME type`,
        "Pass e.g. image/png.",
      );
    const target = parse(
      UploadSchema,
      await this.send(
        {
          method: "POST",
          path: "/attachment/upload",
          form: { file_name: params.fileName, file_type: params.fileType, content_length: size },
          replaySafe: false,
        },
        options,
      ),
      "POST /attachment/upload",
    );
    // A presigned storage URL: PUT of the same bytes is idempotent.
    const body =
      params.data instanceof Blob ? params.data : new Blob([params.data as Uint8Array<ArrayBuffer>]);
    await this.transport.request(
      {
        method: "PUT",
        path: "(upload_url)",
        raw: { url: target.upload_url, body, contentType: params.fileType },
        replaySafe: true,
        auth: false,
      },
      options,
    );
    return this.register(
      { transactionId: params.transactionId, fileUrl: target.file_url, fileType: params.fileType },
      options,
    );
  }

  /**
   * Attaches a file you host to a transaction.
   *
   * @see https://docs.monzo.com/#register-attachment
   */
  async register(
    params: { transactionId: TransactionId | string; fileUrl: string; fileType: string },
    options?: CallOptions,
  ): Promise<Attachment> {
    const body = await this.send(
      {
        method: "POST",
        path: "/attachment/register",
        form: { external_id: params.transactionId, file_url: params.fileUrl, file_type: params.fileType },
        replaySafe: false,
      },
      options,
    );
    return unwrap(AttachmentSchema, body, "attachment", "POST /attachment/register");
  }

  /**
   * Removes an attachment.
   *
   * @see https://docs.monzo.com/#deregister-attachment
   */
  async deregister(id: AttachmentId | string, options?: CallOptions): Promise<void> {
    await this.send(
      { method: "POST", path: "/attachment/deregister", form: { id }, replaySafe: true },
      options,
    );
  }
}
