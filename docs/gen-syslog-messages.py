#!/usr/bin/env python3
"""Regenerate docs/syslog-messages.md from the message catalogue in
core/log.c: python3 docs/gen-syslog-messages.py > docs/syslog-messages.md

The catalogue is read as C source: each `[LOGMSG_X] = { ... }` row holds
the facility, the LOG_SEV_ severity, the mnemonic and three string
literals (text, explanation, action), each possibly split over lines."""

import os
import re
import sys

SEVERITIES = ["emergencies", "alerts", "critical", "errors", "warnings",
              "notifications", "informational", "debugging"]
SEV_VALUE = {"LOG_SEV_" + s.upper(): i for i, s in enumerate(SEVERITIES)}

HEADER = """# Syslog messages

Every `%FACILITY-SEVERITY-MNEMONIC` line that vrouter logs, from the
catalogue in `core/log.c` (this page is generated from it by
`docs/gen-syslog-messages.py`). Severities follow syslog (0 emergencies
to 7 debugging); `logging buffered`, `logging console`, `logging
monitor` and `logging trap` filter on them. A line reads

```
*Mar 12 18:22:10.706: %FAC-SEV-MNEMONIC: text
```

where `*` marks a clock that no NTP server sets, as on IOS. `service
timestamps log|debug datetime [msec] [localtime] [show-timezone]`,
`service timestamps log|debug uptime` and `no service timestamps` change
the stamp, and `service sequence-numbers` puts a six-digit sequence
number and ": " in front of it.

## Lines sent to syslog hosts

`logging host A [transport udp port P] [syslog-format rfc3164|rfc5424]`
sends every line at the `logging trap` level (default informational) or
more severe over UDP, with facility local7. `syslog-format` is a vrouter
keyword; IOS has no per-host format. HOSTNAME is the IPv4 address of
`logging source-interface` when it is set and the interface has one,
else the hostname. The datagrams also leave from that address when this
machine has it, as a 127.0.0.0/8 lab address is; an address that only
the router's datapath has cannot be bound, so the kernel picks the
source address then.

* RFC 3164 (the default):
  `<PRI>Mmm dd hh:mm:ss HOSTNAME vrouter: <line as above>`, the header
  time in UTC.
* RFC 5424:
  `<PRI>1 YYYY-MM-DDThh:mm:ss.mmmZ HOSTNAME vrouter - MNEMONIC - <line>`,
  with `-` as MSGID for debug lines.

The unit test `tests/unit/test_log_catalogue.c` checks that this page
lists every message of the catalogue with its explanation and action.
"""


def strings(text):
    """Joins the adjacent C string literals of TEXT into a list."""
    out, cur, pos = [], None, 0
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|,', text):
        if m.group(0) == ",":
            if cur is not None:
                out.append(cur)
            cur = None
            continue
        cur = (cur or "") + m.group(1).replace('\\"', '"')
    if cur is not None:
        out.append(cur)
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "core", "log.c")) as f:
        src = f.read()
    table = src[src.index("catalogue[LOGMSG_COUNT]"):]
    table = table[:table.index("\n};")]
    sys.stdout.write(HEADER)
    for m in re.finditer(r"\[LOGMSG_\w+\] = \{(.*?)\n\t\},", table, re.S):
        body = m.group(1)
        sev = SEV_VALUE[re.search(r"LOG_SEV_\w+", body).group(0)]
        fac, mnem, text, expl, action = strings(body)
        sys.stdout.write(f"\n## %{fac}-{sev}-{mnem}\n\n"
                         f"Severity: {sev} ({SEVERITIES[sev]})\n\n"
                         f"Text: `{text}`\n\n"
                         f"Explanation: {expl}\n\n"
                         f"Recommended action: {action}\n")


if __name__ == "__main__":
    main()
