"""A real HTTP server on 127.0.0.1 that answers like the Hugging Face Hub for model repos.

It serves the two endpoints huggingface_hub uses to read a repo: the tree listing
(``/api/models/{repo}/tree/{rev}``, used by list_repo_files) and file resolution
(``/{repo}/resolve/{rev}/{path}``, HEAD then GET, with X-Repo-Commit, ETag and
Content-Length).  It counts requests so tests can see cache hits.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class FakeHub:
    def __init__(self):
        self.repos: dict[str, dict[str, bytes]] = {}
        self.requests: Counter = Counter()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_HEAD(self):
                hub._answer(self, head=True)

            def do_GET(self):
                hub._answer(self, head=False)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def add_folder(self, repo: str, folder) -> None:
        from pathlib import Path
        folder = Path(folder)
        files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
        self.repos[repo] = files

    def _answer(self, handler, head: bool) -> None:
        path = unquote(urlparse(handler.path).path)
        self.requests[(handler.command, path)] += 1
        if path.startswith("/api/models/") and "/tree/" in path:
            repo, _, _rest = path[len("/api/models/"):].partition("/tree/")
            if repo not in self.repos:
                return self._send(handler, 404, b'{"error":"Repository not found"}', {"X-Error-Code": "RepoNotFound"}, head)
            listing = [{"type": "file", "path": name, "size": len(data), "oid": hashlib.sha1(data).hexdigest()}
                       for name, data in sorted(self.repos[repo].items())]
            folders = sorted({name.rsplit("/", i)[0] for name in self.repos[repo] for i in (1, 2) if "/" in name})
            listing += [{"type": "directory", "path": f, "oid": hashlib.sha1(f.encode()).hexdigest()} for f in folders
                        if f not in self.repos[repo]]
            return self._send(handler, 200, json.dumps(listing).encode(), {"Content-Type": "application/json"}, head)
        if "/resolve/" in path:
            repo, _, rest = path.lstrip("/").partition("/resolve/")
            _revision, _, filename = rest.partition("/")
            data = self.repos.get(repo, {}).get(filename)
            if data is None:
                return self._send(handler, 404, b"Entry not found", {"X-Error-Code": "EntryNotFound",
                                                                    "X-Repo-Commit": COMMIT}, head)
            etag = '"' + hashlib.sha256(data).hexdigest() + '"'
            return self._send(handler, 200, data, {"X-Repo-Commit": COMMIT, "ETag": etag,
                                                   "Content-Type": "application/octet-stream"}, head)
        return self._send(handler, 404, b"not found", {}, head)

    @staticmethod
    def _send(handler, status: int, body: bytes, headers: dict, head: bool) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if not head:
            handler.wfile.write(body)
