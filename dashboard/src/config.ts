// Deployment settings, read from config.json next to index.html: `apiBaseUrl` is where the API lives
// (empty: the same origin, as with `pagewire dev`; a deployed bucket names the API Gateway URL there).

export interface Settings {
  apiBaseUrl: string;
}

export async function loadSettings(): Promise<Settings> {
  try {
    const response = await fetch("config.json", { cache: "no-cache" });
    if (!response.ok) return { apiBaseUrl: "" };
    const body = (await response.json()) as Partial<Settings>;
    return { apiBaseUrl: typeof body.apiBaseUrl === "string" ? body.apiBaseUrl : "" };
  } catch {
    return { apiBaseUrl: "" };
  }
}
