// Requests to the app: JSON in, JSON out.

export const CHAT_TIMEOUT_MS = 30000;

const ACCEPT_JSON = { "Accept": "application/json" };

/** GET ``url`` as JSON; rejects on a network error or a non-2xx status. */
export async function getJSON(url) {
  const response = await window.fetch(url, { headers: ACCEPT_JSON });
  if (!response.ok) { throw new Error(`GET ${url}: ${response.status}`); }
  return response.json();
}

/** POST ``body`` as JSON; resolves to ``{ok, status, data}`` (``data`` is ``{}`` if unreadable). */
export async function postJSON(url, body, timeoutMs) {
  const controller = "AbortController" in window ? new AbortController() : null;
  const timer = controller ? window.setTimeout(() => controller.abort(), timeoutMs) : null;
  try {
    const response = await window.fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...ACCEPT_JSON },
      body: JSON.stringify(body),
      signal: controller ? controller.signal : undefined,
    });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, data };
  } finally {
    if (timer) { window.clearTimeout(timer); }
  }
}
