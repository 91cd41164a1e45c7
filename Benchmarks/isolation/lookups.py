"""A small open-loop lookup client for machines without LoadGen's release build: RATE lookups a
second (POST /v1/match/hash, queries from QUERIES) for SECONDS after a 3 s warm-up, each latency
counted from its scheduled send time (as LoadGen does); prints one table row in LoadGen's columns
that it measures (rate, achieved, requests, p50, p90, p99, p99.9, max, non-2xx, errors).
    lookups.py PORT KEY QUERIES RATE SECONDS LABEL [CONNECTIONS]"""
import http.client, json, queue, sys, threading, time
port, key, queries, rate, seconds, label = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
connections = int(sys.argv[7]) if len(sys.argv) > 7 else 32
values = [line.strip() for line in open(queries) if line.strip()]
warmup = 3.0
jobs, results, lock = queue.Queue(), [], threading.Lock()

def worker():
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
    while True:
        job = jobs.get()
        if job is None:
            return
        scheduled, value, measured = job
        delay = scheduled - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        try:
            conn.request('POST', '/v1/match/hash', json.dumps({'type': 'pdq', 'value': value}),
                         {'Authorization': 'Bearer ' + key, 'Content-Type': 'application/json'})
            response = conn.getresponse()
            response.read()
            status = response.status
        except Exception:
            status = 0
            conn.close()
            conn = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
        if measured:
            with lock:
                results.append((time.monotonic() - scheduled, status))

threads = [threading.Thread(target=worker) for _ in range(connections)]
for t in threads: t.start()
start = time.monotonic() + 0.1
total = int((warmup + seconds) * rate)
for i in range(total):
    jobs.put((start + i / rate, values[i % len(values)], i >= warmup * rate))
for _ in threads: jobs.put(None)
for t in threads: t.join()
latencies = sorted(r[0] * 1000 for r in results)
bad = sum(1 for r in results if r[1] not in (200,))
errors = sum(1 for r in results if r[1] == 0)
pct = lambda p: '%.1f' % latencies[min(len(latencies) - 1, int(p * len(latencies)))]
print('| %s (Python client) | %.0f | %.0f | %d | %s | %s | %s | %s | %.1f | %d | %d | - | - | - |' % (
    label, rate, len(results) / seconds, len(results), pct(0.5), pct(0.9), pct(0.99), pct(0.999), latencies[-1], bad - errors, errors))
