/** Size of the reused read buffer of plain-TCP upstream connections (net's default read size). */
const READ_BUFFER_BYTES = 64 * 1024;
let sharedReadBuffer: Buffer | undefined;

/**
 * The one read buffer every borrowing upstream connection of this thread reads into (net's
 * `onread` option; see H1Connection.onBorrowedRead). Reads run one at a time on the event loop
 * and each read's bytes are consumed or copied before its callback returns, so one buffer serves
 * all connections. Why: a fresh 64 KiB buffer per read is external memory that V8 frees only in
 * a full mark-compact, which bulk transfers then trigger many times a second. Internal: not
 * exported from the package, since anyone else reading into it would corrupt those bytes.
 */
export function upstreamReadBuffer(): Buffer {
  return (sharedReadBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES));
}
