"""Bulk-load list.tsv (hex PDQ hash <TAB> id) into one HMA bank with PostgreSQL COPY.

Writes exactly the rows HMA's own write path writes (OpenMediaMatch.storage.postgres.impl
DefaultOMMStore.bank_update(create=True) + bank_add_content(), i.e. POST /c/banks then
POST /c/bank/<name>/content per item):
  bank(name, enabled_ratio=1.0, import_from_exchange_id NULL)
  bank_content(id, bank_id, disable_until_ts=1 [BankContentConfig.ENABLED], imported_from_id NULL,
               original_content_uri NULL, note NULL, bank_content_metadata {"content_id": "<tsv id>"})
  content_signal(content_id, signal_type='pdq', signal_val=<64 hex>, create_time DEFAULT now())
bank_content.id is set to tsv id + 1 (ids are 1-based serials in HMA), and the sequence is moved past
it, so a match on bank_content_id k is list entry k-1. Runs in one transaction.
Usage: load_bank.py DSN LIST_TSV BANK_NAME
"""
import io
import re
import sys
import time

import psycopg2

dsn, path, bank = sys.argv[1], sys.argv[2], sys.argv[3]
hex64 = re.compile(r"^[0-9a-f]{64}$")


class Rows(io.TextIOBase):
    """File-like object feeding COPY from a generator of lines, without building the whole text."""

    def __init__(self, lines):
        self.lines, self.buf = lines, ""

    def readable(self):
        return True

    def read(self, n=-1):
        while n < 0 or len(self.buf) < n:
            chunk = "".join(line for _, line in zip(range(8192), self.lines))
            if not chunk:
                break
            self.buf += chunk
        if n < 0:
            out, self.buf = self.buf, ""
        else:
            out, self.buf = self.buf[:n], self.buf[n:]
        return out

    readline = read


def parse():
    with open(path) as f:
        for line in f:
            h, i = line.rstrip("\n").split("\t")
            assert hex64.match(h), h
            yield h, int(i)


t0 = time.time()
conn = psycopg2.connect(dsn)
cur = conn.cursor()
cur.execute("INSERT INTO bank (name, enabled_ratio) VALUES (%s, 1.0) RETURNING id", (bank,))
bank_id = cur.fetchone()[0]
cur.copy_expert(
    "COPY bank_content (id, bank_id, disable_until_ts, bank_content_metadata) FROM STDIN",
    Rows(f'{i + 1}\t{bank_id}\t1\t{{"content_id": "{i}"}}\n' for _, i in parse()),
)
cur.copy_expert(
    "COPY content_signal (content_id, signal_type, signal_val) FROM STDIN",
    Rows(f"{i + 1}\tpdq\t{h}\n" for h, i in parse()),
)
cur.execute("SELECT setval(pg_get_serial_sequence('bank_content', 'id'), (SELECT max(id) FROM bank_content))")
cur.execute("SELECT count(*) FROM content_signal WHERE signal_type = 'pdq'")
n = cur.fetchone()[0]
conn.commit()
print(f"loaded {n} signals into bank {bank} in {time.time() - t0:.1f} s", file=sys.stderr)
