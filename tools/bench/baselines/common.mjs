// Shared flag parsing for the baselines, so that each baseline itself stays ~40 lines.
// --port N --cert FILE --key FILE [--upstream HOST:PORT] [--min TLSv1.2] [--max TLSv1.3] [--tickets]
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { constants } from 'node:crypto';

export function baselineOptions() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      upstream: { type: 'string', default: '127.0.0.1:9000' },
      min: { type: 'string', default: 'TLSv1.2' },
      max: { type: 'string', default: 'TLSv1.3' },
      tickets: { type: 'boolean', default: false },
    },
  });
  const [upHost, upPort] = values.upstream.split(':');
  return {
    port: Number(values.port),
    upstream: { host: upHost, port: Number(upPort) },
    tls: {
      cert: readFileSync(values.cert),
      key: readFileSync(values.key),
      minVersion: values.min,
      maxVersion: values.max,
      // No tickets: every new connection is a full handshake (Node has no server-side session cache
      // unless 'newSession'/'resumeSession' listeners are added).
      secureOptions: values.tickets ? 0 : constants.SSL_OP_NO_TICKET,
    },
  };
}
