// Parsers for wrk and h2load output.
const UNIT = { us: 1e-3, ms: 1, s: 1000, m: 60_000 };

export function parseWrk(out) {
  const req = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(out);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m)/m.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (!req || !rps) throw new Error(`cannot parse wrk output:\n${out.slice(-1500)}`);
  if (Number(req[1]) === 0) throw new Error(`wrk: no request completed:\n${out.slice(-1500)}`);
  return {
    requests: Number(req[1]),
    seconds: (Number(req[2]) * UNIT[req[3]]) / 1000,
    rps: Number(rps[1]),
    p99ms: p99 ? Number(p99[1]) * UNIT[p99[2]] : NaN,
    errors: (non2xx ? Number(non2xx[1]) : 0) + (sockErr ? sockErr.slice(1).map(Number).reduce((a, b) => a + b, 0) : 0),
  };
}

export function parseH2load(out) {
  const fin = /finished in ([\d.]+)(us|ms|s|m), ([\d.]+) req\/s/.exec(out);
  const req = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  const status = /status codes: (\d+) 2xx/.exec(out);
  const proto = /TLS Protocol: (\S+)/.exec(out);
  const cipher = /Cipher: (\S+)/.exec(out);
  const kex = /Server Temp Key: (.+)/.exec(out);
  const alpn = /Application protocol: (\S+)/.exec(out);
  if (!fin || !req) throw new Error(`cannot parse h2load output:\n${out.slice(-1500)}`);
  if (Number(req[4]) === 0) throw new Error(`h2load: no successful request:\n${out.slice(-1500)}`);
  return {
    seconds: (Number(fin[1]) * UNIT[fin[2]]) / 1000,
    rps: Number(fin[3]),
    requests: Number(req[4]),
    ok2xx: status ? Number(status[1]) : 0,
    errors: Number(req[5]) + Number(req[6]) + Number(req[7]),
    protocol: proto?.[1],
    cipher: cipher?.[1],
    kex: kex?.[1]?.trim(),
    alpn: alpn?.[1],
  };
}
