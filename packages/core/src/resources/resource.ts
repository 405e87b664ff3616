import type { CallOptions, RequestSpec, Transport } from "../transport/transport.js";

/**
 * Shared by every resource: build a spec, send it, hand back the body.
 *
 * @example class Extra extends Resource { get() { return this.send({ method: "GET", path: "/x", replaySafe: true }); } }
 */
export abstract class Resource {
  protected readonly transport: Transport;

  constructor(transport: Transport) {
    this.transport = transport;
  }

  protected async send(spec: RequestSpec, options?: CallOptions): Promise<unknown> {
    return (await this.transport.request(spec, options)).body;
  }
}
