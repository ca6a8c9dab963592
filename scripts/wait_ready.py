"""Wait until the app reports ready (Rasa up with a model, index loaded), then print URLs."""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    started = time.monotonic()
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(args.url + "/readyz", timeout=5) as resp:
                body = json.loads(resp.read())
                took = time.monotonic() - started
                print(
                    f"\n==> 银发助手 is ready after {took:.0f} s (Rasa model {body.get('rasa_model')})"
                )
                print(f"==> Web chat:        {args.url}/")
                print(f"==> API docs:        {args.url}/docs")
                print(f"==> Chat API:        POST {args.url}/api/chat")
                print("==> Stop with Ctrl-C\n", flush=True)
                return 0
        except urllib.error.HTTPError as exc:
            last = exc.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(1)
    print(f"==> not ready after {args.timeout:.0f} s: {last}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
