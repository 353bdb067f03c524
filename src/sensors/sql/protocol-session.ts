// What the two database sessions share: a state that ends in 'closed', the bounded receive loop with
// smaller limits before login than after, and one way to end the connection.
import type { Decoded } from '../../wire/reader.js';
import { FramedInput, SHARED_BUFFER_BUDGET } from '../runtime/framed-input.js';

export type EndReason = 'client' | 'policy' | 'error';

export abstract class ProtocolSession<S extends string, M> {
  protected state: S | 'closed';
  protected readonly input: FramedInput<M>;

  constructor(
    initial: S,
    private readonly loggedInState: S,
    limits: { beforeLogin: number; afterLogin: number; bufferedAfterLogin: number },
    decode: (buf: Buffer, maxMessage: number) => Decoded<M>,
    private readonly end: (reason: EndReason) => void,
    /** The client's address: its buffered bytes count against its source's share of the sensors' buffer budget. */
    source: string,
  ) {
    this.state = initial;
    // Before login a client gets only what a handshake needs; large statements come after it.
    this.input = new FramedInput(
      () => (this.loggedIn ? limits.bufferedAfterLogin : limits.beforeLogin),
      (b) => decode(b, this.loggedIn ? limits.afterLogin : limits.beforeLogin),
      SHARED_BUFFER_BUDGET.account(source),
    );
  }

  get currentState(): S | 'closed' {
    return this.state;
  }

  get loggedIn(): boolean {
    return this.state === this.loggedInState;
  }

  /** Releases buffered input (and its share of the sensors' buffer budget) once the connection is gone. */
  dispose(): void {
    this.input.clear();
  }

  /** Feeds CHUNK to HANDLE message by message while the session is open; returns a malformed reason. */
  protected feed(chunk: Buffer, handle: (m: M) => void, check?: (buf: Buffer) => string | undefined): string | undefined {
    if (this.state === 'closed') return undefined;
    return this.input.push(chunk, handle, () => this.state !== 'closed', check);
  }

  protected close(reason: EndReason): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.input.clear();
    this.end(reason);
  }
}
