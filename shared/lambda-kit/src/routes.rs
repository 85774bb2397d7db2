//! Matching request paths against route patterns such as `/jobs/{id}/results`. API Gateway routes each
//! pattern to a function; inside a function (and in `pagewire dev`) the same table picks the action.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub pattern: &'static str,
}

pub const fn route(method: &'static str, pattern: &'static str) -> Route {
    Route { method, pattern }
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
pub fn find<'a>(
    routes: &'a [Route],
    method: &str,
    path: &str,
) -> Result<(&'a Route, Vec<String>), Miss> {
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
            route("GET", "/templates"),
            route("POST", "/templates"),
            route("GET", "/templates/{id}"),
            route("PUT", "/templates/{id}"),
            route("DELETE", "/templates/{id}"),
        ];
        assert!(find(&routes, "post", "/templates").is_ok());
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
