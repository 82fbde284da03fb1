// The webhook receiver, run as a child process (fork) so its work never shares Octopost's event
// loop: an instant 200 {"id","url"} for every POST, and the arrival time (Date.now(), the same
// wall clock the parent uses for scheduled_for) of each delivery_id in the JSON body.
//
// IPC protocol (parent -> child): { id, type: 'count' | 'dump' | 'reset' }; the child answers
// { id, ...result }. At start the child sends { type: 'ready', port }.
import http from 'node:http';

let arrivals = new Map(); // delivery_id -> { at, scheduledFor }
let requests = 0; // every POST, repeats included (requests - arrivals.size = duplicates)
let unreadable = 0; // bodies without a delivery_id
let counter = 0;

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = Date.now();
    requests++;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (typeof body.delivery_id !== 'string') throw new Error('no delivery_id');
      if (!arrivals.has(body.delivery_id)) {
        arrivals.set(body.delivery_id, { at, scheduledFor: body.scheduled_for ? Date.parse(body.scheduled_for) : null });
      }
    } catch {
      unreadable++;
    }
    const n = ++counter;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: `bench-${n}`, url: `http://127.0.0.1/bench/${n}` }));
  });
});

process.on('message', (msg) => {
  switch (msg?.type) {
    case 'count':
      return process.send({ id: msg.id, received: arrivals.size, requests, unreadable });
    case 'dump':
      // Compact rows: [delivery_id, arrival ms, scheduled_for ms | null].
      return process.send({
        id: msg.id,
        requests,
        unreadable,
        rows: [...arrivals].map(([deliveryId, a]) => [deliveryId, a.at, a.scheduledFor]),
      });
    case 'reset':
      arrivals = new Map();
      requests = 0;
      unreadable = 0;
      return process.send({ id: msg.id });
  }
});

// The parent going away (crash, kill) must not leave us running.
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
