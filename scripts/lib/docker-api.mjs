// The few Docker Engine API calls the test environment needs, over the daemon's unix socket.
// (Plain node:http, so the runner depends on nothing but Node.)
import http from 'node:http';

export function dockerRequest(socketPath, method, path, { timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export async function dockerPing(socketPath) {
  try {
    const r = await dockerRequest(socketPath, 'GET', '/_ping', { timeoutMs: 2_000 });
    return r.status === 200;
  } catch {
    return false;
  }
}

/** ids of all containers of the daemon, running or not */
export async function listContainerIds(socketPath) {
  const r = await dockerRequest(socketPath, 'GET', '/containers/json?all=1');
  if (r.status !== 200) throw new Error(`list containers: HTTP ${r.status} ${r.body}`);
  return JSON.parse(r.body).map((c) => c.Id);
}

/** kills (if running) and removes a container with its anonymous volumes */
export async function removeContainer(socketPath, id) {
  const r = await dockerRequest(socketPath, 'DELETE', `/containers/${id}?force=1&v=1`, { timeoutMs: 30_000 });
  if (r.status !== 204 && r.status !== 404) throw new Error(`remove ${id}: HTTP ${r.status} ${r.body}`);
}

export async function removeImage(socketPath, ref) {
  const r = await dockerRequest(socketPath, 'DELETE', `/images/${encodeURIComponent(ref)}?force=1`, { timeoutMs: 30_000 });
  if (r.status !== 200 && r.status !== 404) throw new Error(`remove image ${ref}: HTTP ${r.status} ${r.body}`);
}
