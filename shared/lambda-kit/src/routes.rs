//! Matching request paths against route patterns such as `/jobs/{id}/results`. API Gateway routes each
//! pattern to a function; inside a function (and in `pagewire dev`) the same table picks the action.
//!
//! A function has one table: each route names its action (a function's own enum), and the handler
//! matches the action exhaustively, so a route cannot be added without its action, nor run another's.

/// A method and path pattern, and what a function does for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<A> {
    pub method: &'static str,
    pub pattern: &'static str,
    pub action: A,
}

pub const fn route<A>(method: &'static str, pattern: &'static str, action: A) -> Route<A> {
    Route {
        method,
        pattern,
        action,
    }
}

/// A route's method and pattern without its action: what API Gateway and `pagewire dev`'s front route on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteKey {
    pub method: &'static str,
    pub pattern: &'static str,
}

/// The method and pattern of each route of a table.
pub fn keys<A>(routes: &[Route<A>]) -> Vec<RouteKey> {
    routes
        .iter()
        .map(|r| RouteKey {
            method: r.method,
            pattern: r.pattern,
        })
        .collect()
}

/// The values of a pattern's `{name}` segments, in order, when `path` matches it.
pub fn match_path(pattern: &str, path: &str) -> Option<Vec<String>> {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let mut pattern_parts = pattern.split('/');
    let mut path_parts = path.split('/');
    let mut values = Vec::new();
    loop {
        match (pattern_parts.next(), path_parts.next()) {
            (None, None) => return Some(values),
            (Some(p), Some(v)) if p.starts_with('{') && p.ends_with('}') => {
                if v.is_empty() {
                    return None;
                }
                values.push(v.to_string());
            }
            (Some(p), Some(v)) if p == v => {}
            _ => return None,
        }
    }
}

/// Why no route takes a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// No route has this path: 404.
    UnknownPath,
    /// The path exists with these methods only, in the table's order: 405, and they go in `Allow`.
    MethodNotAllowed(Vec<&'static str>),
}

/// The route that takes a request, with its path parameters, or why none does.
pub fn find<'a, A>(
    routes: &'a [Route<A>],
    method: &str,
    path: &str,
) -> Result<(&'a Route<A>, Vec<String>), Miss> {
    let mut allowed: Vec<&'static str> = Vec::new();
    for r in routes {
        if let Some(params) = match_path(r.pattern, path) {
            if r.method.eq_ignore_ascii_case(method) {
                return Ok((r, params));
            }
            if !allowed.contains(&r.method) {
                allowed.push(r.method);
            }
        }
    }
    if allowed.is_empty() {
        Err(Miss::UnknownPath)
    } else {
        Err(Miss::MethodNotAllowed(allowed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert_eq!(
            match_path("/jobs/{id}", "/jobs/abc"),
            Some(vec!["abc".to_string()])
        );
        assert_eq!(
            match_path("/jobs/{id}/results", "/jobs/abc/results/"),
            Some(vec!["abc".to_string()])
        );
        assert_eq!(match_path("/jobs/{id}", "/jobs/"), None);
        assert_eq!(match_path("/jobs/{id}", "/jobs/a/b"), None);
        assert_eq!(match_path("/templates", "/templates"), Some(vec![]));
        assert_eq!(match_path("/templates", "/templatesx"), None);
    }

    #[test]
    fn method_mismatch_is_told_apart_from_unknown_path() {
        let routes = [
            route("GET", "/templates", 1),
            route("POST", "/templates", 2),
            route("GET", "/templates/{id}", 3),
            route("PUT", "/templates/{id}", 4),
            route("DELETE", "/templates/{id}", 5),
        ];
        assert_eq!(find(&routes, "post", "/templates").unwrap().0.action, 2);
        assert_eq!(
            find(&routes, "DELETE", "/templates").unwrap_err(),
            Miss::MethodNotAllowed(vec!["GET", "POST"])
        );
        assert_eq!(
            find(&routes, "PATCH", "/templates/t-1").unwrap_err(),
            Miss::MethodNotAllowed(vec!["GET", "PUT", "DELETE"])
        );
        assert_eq!(
            find(&routes, "GET", "/nope").unwrap_err(),
            Miss::UnknownPath
        );
    }
}
