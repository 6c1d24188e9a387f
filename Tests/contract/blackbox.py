"""What the black-box checks share: HTTPS calls to the server under test (its certificate is
self-signed; redirects are answered, not followed), a check that stops the script with a message,
and a sign-up."""
import json
import ssl
import sys
import time
import urllib.error
import urllib.request

_context = ssl.create_default_context()
_context.check_hostname = False
_context.verify_mode = ssl.CERT_NONE


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=_context), _NoRedirect)


def client(url):
    """A function calling `url`: call(method, path or whole URL, JSON body, token, raw bytes,
    content type, extra headers) -> (status, headers, body bytes)."""

    def call(method, path, body=None, token=None, raw=None, content_type="application/json", headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(path if path.startswith("https://") else url + path, method=method,
                                         data=data)
        request.add_header("content-type", content_type)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        if token:
            request.add_header("authorization", f"Bearer {token}")
        try:
            with _opener.open(request) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    return call


def checker(name):
    """check(condition, what): stops the script, naming the check, when the condition fails."""

    def check(condition, what):
        if not condition:
            sys.exit(f"{name}: {what}")

    return check


def sign_up(call, check, prefix):
    """Signs up a tenant with a fresh slug; its owner's session token."""
    slug = f"{prefix}-{int(time.time())}"
    status, _, body = call("POST", "/v1/signup", {
        "tenant": {"name": prefix.title(), "slug": slug, "kind": "agency"},
        "owner": {"email": f"owner@{slug}.example", "password": "correct horse battery staple", "name": "Owner"}})
    check(status == 201, f"sign-up answered {status}")
    return json.loads(body)["session"]["token"]
