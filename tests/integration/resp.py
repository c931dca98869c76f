"""A minimal, synchronous RESP2 client (Python 3 standard library only), for the tests'
private redis-servers (harness.Redis) and the benchmarks."""

import socket


class RedisError(Exception):
    pass


class RespClient:
    """A minimal, synchronous RESP2 client over one TCP connection."""

    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        # Unread replies are buf[pos:]: reading moves pos, and only a refill copies, so a
        # pipeline's 10,000 replies cost linear time (slicing per line made it quadratic).
        self.buf = b""
        self.pos = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, bytes):
                b = a
            elif isinstance(a, str):
                b = a.encode("utf-8", "surrogateescape")
            else:
                b = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        return b"".join(out)

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("redis closed the connection")
        self.buf = self.buf[self.pos:] + chunk
        self.pos = 0

    def _line(self):
        end = self.buf.find(b"\r\n", self.pos)
        while end < 0:
            self._fill()
            end = self.buf.find(b"\r\n", self.pos)
        line, self.pos = self.buf[self.pos:end], end + 2
        return line

    def _exact(self, n):
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        data, self.pos = self.buf[self.pos:self.pos + n], self.pos + n + 2
        return data

    def read_reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest
        if kind == b"-":
            return RedisError(rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read_reply() for _ in range(n)]
        raise RedisError("bad RESP reply type %r" % (line,))

    def call(self, *args):
        """Sends one command; returns bytes/int/list/None, raises RedisError on -ERR."""
        self.sock.sendall(self.encode(args))
        r = self.read_reply()
        if isinstance(r, RedisError):
            raise r
        return r


def _decode(v):
    """RESP reply with bytes turned into str (utf-8, surrogateescape keeps bad bytes)."""
    if isinstance(v, bytes):
        return v.decode("utf-8", "surrogateescape")
    if isinstance(v, list):
        return [_decode(x) for x in v]
    return v
