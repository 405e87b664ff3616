/**
 * How many pages the history walk keeps in flight: its concurrency until Monzo answers 429, then half as
 * many after the pause `Retry-After` asks for, growing back by about one per round of answers (additive
 * increase, multiplicative decrease). Monzo documents no limits; users report 429s after bursts
 * (REFERENCE §12.4), so the walk slows down rather than failing or hammering.
 *
 * @example const pacer = new Pacer(8); pacer.answered(); pacer.limited(request.epoch);
 */
export class Pacer {
  readonly max: number;
  #window: number;
  /** Bumped at each slow-down: 429s for pages sent before it belong to the same episode. */
  epoch = 0;
  /** True while the walk waits out a `Retry-After`. */
  paused = false;
  /** 429 episodes since the last page that came back. */
  strikes = 0;

  constructor(max: number) {
    this.max = max;
    this.#window = max;
  }

  /** Pages that may be in flight now. */
  get slots(): number {
    return Math.max(1, Math.floor(this.#window));
  }

  /**
   * A page came back: grow by one page per window of answers, up to the maximum — after a slow-down, by
   * one per two windows, so the walk creeps back towards a limit it has just met instead of probing it.
   */
  answered(): void {
    this.strikes = 0;
    const step = this.epoch === 0 ? 1 / this.#window : 1 / (2 * this.#window);
    this.#window = Math.min(this.max, this.#window + step);
  }

  /**
   * A page sent in `epoch` got a 429. Returns true when this starts a new episode (the caller pauses);
   * false when the walk already slowed down for it.
   */
  limited(epoch: number): boolean {
    if (epoch < this.epoch) return false;
    this.epoch++;
    this.strikes++;
    this.#window = Math.max(1, this.#window / 2);
    return true;
  }
}
