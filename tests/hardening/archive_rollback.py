#!/usr/bin/python3
"""The configuration archive: `archive` with path, maximum and
write-memory keeps the newest copies as write memory saves them,
`show archive` lists them, and `configure replace` rolls back to one.
The archive settings and files outlive a restart."""
import os
import re

import hlib
from hlib import fail, run

SAVES = 5
MAXIMUM = 3

CONFIG = hlib.ACCESS_CONFIG + """interface GigabitEthernet2
 description d0
end
"""


def show_archive_rows(out):
    return re.findall(r"^\s+(\d+)\s+(\S+)( <- Most Recent)?\s*$", out, re.M)


def main():
    router = hlib.Router(CONFIG)
    t = router.login()
    for line in ["configure terminal", "archive",
                 " path flash:archive-config", f" maximum {MAXIMUM}",
                 " write-memory", "end"]:
        out = run(t, line, prompt=r"vr-test(\([\w-]+\))?#")
        if "%" in out:
            fail(f"{line!r} was rejected: {out}")
    running = run(t, "show running-config")
    block = f"archive\n path flash:archive-config\n maximum {MAXIMUM}\n" \
        " write-memory\n!"
    if block not in running.replace("\r", ""):
        fail(f"running-config lacks the archive block:\n{running}")

    for n in range(1, SAVES + 1):
        run(t, "configure terminal", prompt=r"\(config\)#")
        run(t, "interface GigabitEthernet2", prompt=r"\(config-if\)#")
        run(t, f"description d{n}", prompt=r"\(config-if\)#")
        run(t, "end")
        out = run(t, "write memory")
        if "[OK]" not in out or "%" in out:
            fail(f"write memory {n} printed {out!r}")

    out = run(t, "show archive")
    print(out)
    if f"allowed is {MAXIMUM}." not in out:
        fail(f"show archive does not give the maximum:\n{out}")
    if f"named flash:archive-config-{SAVES + 1}" not in out:
        fail(f"show archive names the wrong next file:\n{out}")
    rows = show_archive_rows(out)
    want = [(str(i + 1), f"flash:archive-config-{SAVES - MAXIMUM + 1 + i}")
            for i in range(MAXIMUM)]
    if [(r[0], r[1]) for r in rows] != want:
        fail(f"show archive lists {rows}, expected {want}")
    if rows[-1][2] != " <- Most Recent":
        fail("the newest archive is not marked as the most recent")
    files = sorted(f for f in os.listdir(router.dir)
                   if f.startswith("archive-config-"))
    expected = sorted(f"archive-config-{i}"
                      for i in range(SAVES - MAXIMUM + 1, SAVES + 1))
    if files != expected:
        fail(f"archive files {files}, expected {expected}")

    # Roll back to the oldest kept copy.
    oldest = SAVES - MAXIMUM + 1
    out = run(t, f"configure replace flash:archive-config-{oldest} force")
    if "Rollback Done" not in out:
        fail(f"configure replace printed:\n{out}")
    running = run(t, "show running-config")
    if f" description d{oldest}\n" not in running.replace("\r", ""):
        fail(f"after the rollback the running-config is:\n{running}")
    t.send("exit\r\n")
    t.close()
    workdir = router.dir
    router.tmp, keep = None, router.tmp
    router.stop()

    # The saved startup-config brings the archive back after a restart.
    again = hlib.Router(None, workdir=workdir)
    t = again.login()
    rows = show_archive_rows(run(t, "show archive"))
    if [(r[0], r[1]) for r in rows] != want:
        fail(f"after a restart show archive lists {rows}")
    t.send("exit\r\n")
    t.close()
    again.stop()
    keep.cleanup()
    print("PASS")


if __name__ == "__main__":
    main()
