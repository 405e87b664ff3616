/** One page of a list. */
export interface Page<T> {
  items: T[];
  /** A full page came back, so there may be more (Monzo gives no count and no next link, REFERENCE §3.1). */
  hasMore: boolean;
}

/** Fetches the page after `previous` (undefined for the first page). */
export type PageFetcher<T> = (previous: Page<T> | undefined) => Promise<Page<T>>;

/**
 * A list result you can `await` (the first page) or `for await` (every item, fetching pages as needed);
 * `.pages()` walks page by page.
 *
 * @example
 * ```ts
 * const first = await client.transactions.list({ accountId, since });
 * for await (const tx of client.transactions.list({ accountId, since })) console.log(tx.id);
 * ```
 */
export class PagePromise<T> implements PromiseLike<Page<T>>, AsyncIterable<T> {
  readonly #fetch: PageFetcher<T>;
  #first: Promise<Page<T>> | undefined;

  constructor(fetch: PageFetcher<T>) {
    this.#fetch = fetch;
  }

  #firstPage(): Promise<Page<T>> {
    this.#first ??= this.#fetch(undefined);
    return this.#first;
  }

  // biome-ignore lint/suspicious/noThenProperty: a PagePromise is awaitable by design.
  then<A = Page<T>, B = never>(
    onFulfilled?: ((page: Page<T>) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#firstPage().then(onFulfilled, onRejected);
  }

  /** Every page in turn. */
  async *pages(): AsyncGenerator<Page<T>> {
    let page = await this.#firstPage();
    yield page;
    while (page.hasMore && page.items.length > 0) {
      page = await this.#fetch(page);
      yield page;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for await (const page of this.pages()) yield* page.items;
  }

  /** Every item, in one array. */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const item of this) out.push(item);
    return out;
  }
}
