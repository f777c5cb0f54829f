"""Drives a running gateway with the official `openai` Python SDK, unmodified.

Environment: GATEWAY_BASE_URL (…/v1), GATEWAY_KEY (all models), GATEWAY_LIMITED_KEY (only
`small`). Exits non-zero on the first failed check, naming it.
"""

import os
import sys

import openai

base = os.environ["GATEWAY_BASE_URL"]
client = openai.OpenAI(base_url=base, api_key=os.environ["GATEWAY_KEY"], max_retries=0)
limited = openai.OpenAI(base_url=base, api_key=os.environ["GATEWAY_LIMITED_KEY"], max_retries=0)
checks = 0


def check(name, ok):
    global checks
    if not ok:
        print(f"FAILED: {name}", file=sys.stderr)
        sys.exit(1)
    checks += 1


messages = [{"role": "user", "content": "Say hello to the SDK"}]

resp = client.chat.completions.create(model="small", messages=messages)
check("chat returns content", bool(resp.choices[0].message.content))
check("chat returns usage", resp.usage is not None and resp.usage.total_tokens > 0)

chunks = list(client.chat.completions.create(model="small", messages=messages, stream=True))
text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
check("stream yields text", len(text) > 0)
check("stream without include_usage has no usage chunk", all(c.usage is None for c in chunks))

chunks = list(
    client.chat.completions.create(
        model="small", messages=messages, stream=True, stream_options={"include_usage": True}
    )
)
check("stream with include_usage ends with usage", chunks[-1].usage is not None and chunks[-1].choices == [])

emb = client.embeddings.create(model="embed", input="hello")
check("embeddings return a vector", len(emb.data[0].embedding) > 0)

ids = {m.id for m in client.models.list()}
check("models list includes small and embed", {"small", "embed"} <= ids)
check("limited key lists only small", {m.id for m in limited.models.list()} == {"small"})


def raises(name, cls, fn):
    try:
        fn()
    except cls as e:
        check(name, isinstance(e.body, dict) or e.body is None)
        return
    except Exception as e:  # noqa: BLE001
        check(f"{name} (raised {type(e).__name__}: {e})", False)
    check(f"{name} (nothing raised)", False)


bad = openai.OpenAI(base_url=base, api_key="gw_not_a_real_key", max_retries=0)
raises("bad key → AuthenticationError", openai.AuthenticationError,
       lambda: bad.chat.completions.create(model="small", messages=messages))
raises("unknown model → NotFoundError", openai.NotFoundError,
       lambda: client.chat.completions.create(model="no-such-model", messages=messages))
raises("ungranted model → PermissionDeniedError", openai.PermissionDeniedError,
       lambda: limited.embeddings.create(model="embed", input="x"))
raises("empty messages → BadRequestError", openai.BadRequestError,
       lambda: client.chat.completions.create(model="small", messages=[]))
raises("failing upstream → InternalServerError", openai.InternalServerError,
       lambda: client.chat.completions.create(model="broken", messages=messages))

print(f"{checks} passed, 0 failed")
