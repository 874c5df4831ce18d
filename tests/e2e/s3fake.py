#!/usr/bin/env python3
"""s3fake.py — a small S3-compatible server for the media tests: path-style PUT, HEAD and
GET of objects in one bucket, each request's AWS Signature Version 4 (Authorization
header) verified, and the PUT body checked against its x-amz-content-sha256.

usage: s3fake.py --port-file FILE --bucket B --region R --access-key AK --secret-key SK

It listens on 127.0.0.1 (an ephemeral port, written to --port-file once it listens) and
serves until killed. GET /_fake/state (unsigned, this fake only) answers JSON:
{"objects": {key: {"size", "sha256", "contentType", "cacheControl", "puts"}},
 "rejected": [reasons...], "requests": ["METHOD key", ...]}.
"""
import argparse
import datetime
import hashlib
import hmac
import json
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_BODY = 64 * 1024 * 1024
SKEW = datetime.timedelta(minutes=15)


def hmac256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def uri_encode(s):
    """S3's canonical URI: each byte but unreserved characters and '/' as %XX."""
    return urllib.parse.quote(s, safe="/-_.~")


def canonical_query(q):
    pairs = urllib.parse.parse_qsl(q, keep_blank_values=True)
    enc = sorted((urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~"))
                 for k, v in pairs)
    return "&".join(k + "=" + v for k, v in enc)


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.objects = {}
        self.rejected = []
        self.requests = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive and Expect: 100-continue, as S3 does
    server_version = "s3fake"

    def log_message(self, fmt, *args):
        sys.stderr.write("s3fake: " + (fmt % args) + "\n")

    # --- answers ---
    def answer(self, status, body=b"", ctype="application/xml", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, why):
        with self.server.store.lock:
            self.server.store.rejected.append(code + ": " + why)
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code>"
                "<Message>%s</Message></Error>" % (code, why)).encode()
        self.answer(status, body)

    # --- SigV4 ---
    def verify(self, payload_sha):
        """None when the request's signature is right, else why not."""
        cfg = self.server.cfg
        auth = self.headers.get("Authorization", "")
        algo, _, rest = auth.partition(" ")
        if algo != "AWS4-HMAC-SHA256":
            return "no AWS4-HMAC-SHA256 Authorization header"
        fields = {}
        for part in rest.split(","):
            k, _, v = part.strip().partition("=")
            fields[k] = v
        try:
            cred = fields["Credential"].split("/")
            signed = fields["SignedHeaders"].split(";")
            sig = fields["Signature"]
        except KeyError as e:
            return "Authorization lacks " + str(e)
        if len(cred) != 5 or cred[4] != "aws4_request" or cred[3] != "s3":
            return "bad credential scope " + fields["Credential"]
        if cred[0] != cfg.access_key:
            return "unknown access key " + cred[0]
        if cred[2] != cfg.region:
            return "wrong region " + cred[2]
        amz_date = self.headers.get("X-Amz-Date", "")
        try:
            when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            return "bad X-Amz-Date " + amz_date
        if abs(datetime.datetime.now(datetime.timezone.utc) - when) > SKEW:
            return "X-Amz-Date too far from now"
        if cred[1] != amz_date[:8]:
            return "credential date differs from X-Amz-Date"
        if signed != sorted(signed) or "host" not in signed or "x-amz-date" not in signed:
            return "SignedHeaders must be sorted and include host and x-amz-date"
        if "x-amz-content-sha256" not in signed:
            return "x-amz-content-sha256 is not signed"
        canon_headers = ""
        for name in signed:
            values = self.headers.get_all(name)
            if values is None:
                return "signed header %s is not in the request" % name
            canon_headers += name + ":" + ",".join(" ".join(v.split()) for v in values) + "\n"
        claimed = self.headers.get("x-amz-content-sha256", "")
        if claimed != payload_sha:
            return "x-amz-content-sha256 %s is not the payload's %s" % (claimed, payload_sha)
        path, _, query = self.path.partition("?")
        canon = "\n".join([self.command, uri_encode(urllib.parse.unquote(path)),
                           canonical_query(query), canon_headers, ";".join(signed), claimed])
        scope = "/".join(cred[1:])
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                             hashlib.sha256(canon.encode()).hexdigest()])
        key = hmac256(("AWS4" + cfg.secret_key).encode(), cred[1])
        for part in (cred[2], "s3", "aws4_request"):
            key = hmac256(key, part)
        want = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, sig):
            return "signature mismatch (canonical request %r)" % canon
        return None

    def object_key(self):
        path = urllib.parse.unquote(self.path.partition("?")[0])
        prefix = "/" + self.server.cfg.bucket + "/"
        if not path.startswith(prefix) or len(path) == len(prefix):
            return None
        return path[len(prefix):]

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            return None
        n = int(self.headers.get("Content-Length", "0"))
        if n < 0 or n > MAX_BODY:
            return None
        return self.rfile.read(n)

    # --- methods ---
    def do_GET(self):
        if self.path == "/_fake/state":
            with self.server.store.lock:
                st = {"objects": {k: {kk: vv for kk, vv in o.items() if kk != "data"}
                                  for k, o in self.server.store.objects.items()},
                      "rejected": list(self.server.store.rejected),
                      "requests": list(self.server.store.requests)}
            self.answer(200, json.dumps(st).encode(), "application/json")
            return
        self.get_or_head()

    def do_HEAD(self):
        self.get_or_head()

    def get_or_head(self):
        key = self.object_key()
        self.note(key)
        why = self.verify(EMPTY_SHA256)
        if why:
            return self.error(403, "SignatureDoesNotMatch", why)
        with self.server.store.lock:
            o = self.server.store.objects.get(key)
        if o is None:
            return self.error(404, "NoSuchKey", "no object " + str(key))
        self.answer(200, o["data"], o["contentType"] or "binary/octet-stream",
                    {"ETag": '"%s"' % o["md5"]})

    def do_PUT(self):
        key = self.object_key()
        self.note(key)
        body = self.read_body()
        if body is None:
            return self.error(400, "InvalidRequest", "PUT needs a Content-Length body")
        why = self.verify(hashlib.sha256(body).hexdigest())
        if why:
            return self.error(403, "SignatureDoesNotMatch", why)
        if key is None:
            return self.error(400, "InvalidRequest", "no object key")
        md5 = hashlib.md5(body).hexdigest()
        with self.server.store.lock:
            prev = self.server.store.objects.get(key)
            self.server.store.objects[key] = {
                "data": body, "size": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                "md5": md5, "contentType": self.headers.get("Content-Type"),
                "cacheControl": self.headers.get("Cache-Control"),
                "puts": (prev["puts"] if prev else 0) + 1}
        self.answer(200, extra={"ETag": '"%s"' % md5})

    def note(self, key):
        with self.server.store.lock:
            self.server.store.requests.append("%s %s" % (self.command, key))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--region", required=True)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    cfg = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.cfg = cfg
    srv.store = Store()
    tmp = cfg.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(tmp, cfg.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
