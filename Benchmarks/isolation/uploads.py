"""Uploads FILE to the node from N threads, again and again for SECONDS; prints one table row:
answers by status, and upload latency percentiles.
    uploads.py PORT KEY FILE THREADS SECONDS PATH"""
import http.client, sys, threading, time
port, key, path_file, threads, seconds, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
body = open(path_file, 'rb').read()
statuses, latencies, lock = {}, [], threading.Lock()
stop = time.monotonic() + seconds

def worker():
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=300)
    while time.monotonic() < stop:
        started = time.monotonic()
        try:
            conn.request('POST', path, body, {'Authorization': 'Bearer ' + key, 'Content-Type': 'application/octet-stream'})
            response = conn.getresponse()
            response.read()
            status = response.status
            if status == 503:
                time.sleep(float(response.getheader('Retry-After', '1')))
        except Exception as error:
            status = type(error).__name__
            conn.close()
            conn = http.client.HTTPConnection('127.0.0.1', port, timeout=300)
        with lock:
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                latencies.append(time.monotonic() - started)

ts = [threading.Thread(target=worker) for _ in range(threads)]
for t in ts: t.start()
for t in ts: t.join()
latencies.sort()
pct = lambda p: '%.2f' % latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else '-'
print('| %d | %.0f | %s | %s | %s | %s |' % (threads, seconds, len(body), ', '.join('%s: %d' % (k, v) for k, v in sorted(statuses.items(), key=str)), pct(0.5), pct(0.99)))
