import { InvalidArgumentError } from "../errors/client-errors.js";
import type { AccountId } from "../models/ids.js";
import type { CallOptions } from "../transport/transport.js";
import { Resource } from "./resource.js";

export interface FeedItemParams {
  accountId: AccountId | string;
  title: string;
  /** Icon URL (animated GIFs work). */
  imageUrl: string;
  body?: string;
  /** Opened when the item is tapped. */
  url?: string;
  /** `#RRGGBB` */
  backgroundColor?: string;
  titleColor?: string;
  bodyColor?: string;
}

const COLOR = /^#[0-9A-Fa-f]{6}$/;

/**
 * Feed items (REFERENCE §8).
 *
 * @example await client.feed.create({ accountId, title: "Hello", imageUrl });
 */
export class Feed extends Resource {
  /**
   * Puts an item in the user's Monzo feed. Not retried: a repeat would post a second item.
   *
   * @example await client.feed.create({ accountId, title: "Backup done", imageUrl: "https://…/ok.png" });
   * @see https://docs.monzo.com/#create-feed-item
   */
  async create(params: FeedItemParams, options?: CallOptions): Promise<void> {
    if (!params.title) throw new InvalidArgumentError("title is empty", "A feed item needs a title.");
    if (!params.imageUrl)
      throw new InvalidArgumentError("imageUrl is empty", "A feed item needs an icon URL.");
    for (const [name, value] of [
      ["backgroundColor", params.backgroundColor],
      ["titleColor", params.titleColor],
      ["bodyColor", params.bodyColor],
    ] as const) {
      if (value !== undefined && !COLOR.test(value))
        throw new InvalidArgumentError(
          `${name} "${value}" is not #RRGGBB`,
          "Monzo takes colours exactly as #RRGGBB.",
        );
    }
    await this.send(
      {
        method: "POST",
        path: "/feed",
        form: {
          account_id: params.accountId,
          type: "basic",
          url: params.url,
          "params[title]": params.title,
          "params[image_url]": params.imageUrl,
          "params[body]": params.body,
          "params[background_color]": params.backgroundColor,
          "params[title_color]": params.titleColor,
          "params[body_color]": params.bodyColor,
        },
        replaySafe: false,
      },
      options,
    );
  }
}
