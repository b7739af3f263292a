// Opens N TLS connections to 127.0.0.1:PORT (ALPN http/1.1), sends one GET / on each, reads the
// response, then keeps every connection open and idle. Prints "ready OPEN FAILED" once all are
// up, then "open N" every 250 ms until killed.
import tls from 'node:tls';

const [port, n = '1000', parallel = '50'] = process.argv.slice(2).map(Number);
const sockets = new Set();
let failed = 0;
let started = 0;

function one() {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], servername: 'localhost' });
    let done = false;
    const finish = (ok) => {
      if (done) return;
      done = true;
      if (ok) sockets.add(s);
      else failed++;
      resolve();
    };
    s.setTimeout(10_000, () => { s.destroy(); finish(false); });
    s.once('secureConnect', () => s.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      const h = buf.indexOf('\r\n\r\n');
      if (h < 0) return;
      const m = /content-length:\s*(\d+)/i.exec(buf.slice(0, h));
      if (!m || buf.length - h - 4 >= Number(m[1])) { s.setTimeout(0); finish(true); }
    });
    s.on('error', () => finish(false));
    s.on('close', () => { sockets.delete(s); finish(false); });
  });
}

async function worker() {
  while (started < n) {
    started++;
    await one();
  }
}
await Promise.all(Array.from({ length: parallel }, worker));
console.log(`ready ${sockets.size} ${failed}`);
setInterval(() => console.log(`open ${sockets.size}`), 250);
