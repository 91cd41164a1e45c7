"""Holds COUNT half-open connections to the node (each sends half a request head, or nothing when
its connect is still pending) from PROCESSES processes (each raises its own open-file limit), and
times `/health` and an authenticated lookup while they are held and right after they are closed.
Prints markdown table rows; exits non-zero if the node died.
    half_open.py PORT KEY SERVER_PID COUNT PROCESSES QUERY_HASH [PROBE_TIMEOUT_WHILE_HELD]"""
import http.client, json, multiprocessing as mp, os, resource, socket, sys, time

port, key, server, count, processes, query = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
held_timeout = float(sys.argv[7]) if len(sys.argv) > 7 else 180

def hold(n, opened, release):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sockets = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(('127.0.0.1', port))
        sockets.append(s)
    sent = 0
    for s in sockets:
        try:
            s.send(b'GET /health HTTP/1.1\r\nHost: x')
            sent += 1
        except OSError:
            pass
    opened.put((len(sockets), sent))
    release.wait()
    for s in sockets:
        s.close()

def descriptors():
    try:
        return len(os.listdir('/proc/%d/fd' % server))
    except OSError:
        return -1

def probe(method, path, body=None, headers={}, timeout=180):
    started = time.monotonic()
    try:
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
        conn.request(method, path, body, headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status, time.monotonic() - started
    except Exception as error:
        return type(error).__name__, time.monotonic() - started

def probes(label, timeout=180):
    health = probe('GET', '/health', timeout=timeout)
    lookup = probe('POST', '/v1/match/hash', json.dumps({'type': 'pdq', 'value': query}),
                   {'Authorization': 'Bearer ' + key, 'Content-Type': 'application/json'}, timeout=timeout)
    alive = os.path.exists('/proc/%d' % server)
    print('| %s | %s in %.3f s | %s in %.3f s | %d | %s |' % (label, health[0], health[1], lookup[0], lookup[1], descriptors(), 'yes' if alive else 'NO'), flush=True)
    return alive

if __name__ == '__main__':
    opened, release = mp.Queue(), mp.Event()
    per = count // processes
    workers = [mp.Process(target=hold, args=(per, opened, release)) for _ in range(processes)]
    started = time.monotonic()
    for w in workers: w.start()
    totals = [opened.get() for _ in workers]
    print('| held | %d sockets (%d sent half a head) in %.1f s | | %d | |' % (sum(t[0] for t in totals), sum(t[1] for t in totals), time.monotonic() - started, descriptors()), flush=True)
    alive = probes('while held (1st)', held_timeout)
    alive = probes('while held (2nd)', held_timeout) and alive
    release.set()
    for w in workers: w.join()
    alive = probes('right after release') and alive
    sys.exit(0 if alive else 1)
