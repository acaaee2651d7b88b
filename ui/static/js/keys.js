// The API and admin keys live in sessionStorage only: they survive a reload
// of this tab but not closing it, and never reach localStorage or cookies.

const API = "infergate.apiKey";
const ADMIN = "infergate.adminKey";

function read(name) {
  try { return sessionStorage.getItem(name) || ""; } catch { return ""; }
}

function write(name, v) {
  try {
    if (v) sessionStorage.setItem(name, v);
    else sessionStorage.removeItem(name);
  } catch { /* storage disabled: the key then lives only in the input */ }
}

export const keys = {
  api: () => read(API),
  admin: () => read(ADMIN),
  setApi: (v) => write(API, v.trim()),
  setAdmin: (v) => write(ADMIN, v.trim()),
};

/** bindKeyInput keeps an <input> and a stored key in step. */
export function bindKeyInput(input, get, set) {
  input.value = get();
  input.addEventListener("input", () => set(input.value));
}
