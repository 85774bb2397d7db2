// Hash routes (`#/templates/ID`), so any static host serves the app from one index.html. Each view gets
// a Lifetime that ends when the user navigates away, which stops its polling.

export class Lifetime {
  private ended = false;
  private cleanups: (() => void)[] = [];

  get alive(): boolean {
    return !this.ended;
  }

  onEnd(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  end(): void {
    this.ended = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}

export type View = (root: HTMLElement, params: string[], life: Lifetime) => Promise<void> | void;

interface Route {
  pattern: RegExp;
  view: View;
}

const routes: Route[] = [];
let current: Lifetime | null = null;

/** `path` like `/templates/:id`; each `:name` matches one segment and is passed to the view in order. */
export function route(path: string, view: View): void {
  const pattern = new RegExp("^" + path.replace(/:[a-z]+/g, "([^/]+)") + "$");
  routes.push({ pattern, view });
}

export function navigate(path: string): void {
  if (window.location.hash === `#${path}`) {
    void render();
  } else {
    window.location.hash = path;
  }
}

export function currentPath(): string {
  return window.location.hash.replace(/^#/, "") || "/";
}

export async function render(): Promise<void> {
  current?.end();
  const life = new Lifetime();
  current = life;
  const root = document.getElementById("view");
  if (!root) return;
  const path = currentPath();
  for (const { pattern, view } of routes) {
    const match = pattern.exec(path);
    if (match) {
      root.replaceChildren();
      await view(root, match.slice(1).map(decodeURIComponent), life);
      return;
    }
  }
  navigate("/templates");
}
