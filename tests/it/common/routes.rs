//! The router's routes, read from the `.route(path, method(handler)...)` calls under
//! `src/`, so tests that must cover every route (isolation) see a new one at once.

use std::path::Path;

/// Every route: its path and whether it answers GET and POST.
pub fn all() -> Vec<(String, bool, bool)> {
    let mut out = Vec::new();
    visit(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out.sort();
    out.dedup();
    assert!(
        out.len() > 50,
        "the route reader found only {} routes",
        out.len()
    );
    out
}

fn visit(dir: &Path, out: &mut Vec<(String, bool, bool)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            visit(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            out.extend(routes_in(&text));
        }
    }
}

fn routes_in(text: &str) -> Vec<(String, bool, bool)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let trimmed = rest.trim_start();
        let Some(quoted) = trimmed.strip_prefix('"') else {
            continue;
        };
        let Some(end) = quoted.find('"') else {
            continue;
        };
        let path = &quoted[..end];
        // The methods are named between this path and the next route or router call.
        let after = &quoted[end..];
        let stop = [".route(", ".merge(", ".nest(", ".layer(", ".route_layer("]
            .iter()
            .filter_map(|m| after.find(m))
            .min()
            .unwrap_or(after.len());
        let methods = &after[..stop];
        let get = methods.contains("get(");
        let post = methods.contains("post(");
        if path.starts_with('/') && (get || post) {
            out.push((path.to_owned(), get, post));
        }
    }
    out
}

/// The route with each `{param}` filled with the id of the entity it names, judged by the
/// segment before it (`/vedtak/{id}` is a decision, `/moter/{id}/punkter/{item}` a
/// meeting item); None when `ids` has no id for one of them.
pub fn fill(route: &str, ids: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let segments: Vec<&str> = route.split('/').collect();
    let mut out = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        if !seg.starts_with('{') {
            out.push(seg.to_string());
            continue;
        }
        let before = if i > 0 { segments[i - 1] } else { "" };
        let first = segments.get(1).copied().unwrap_or("");
        if before == "boligtyper" {
            out.push("type".to_owned()); // dwelling types (the other kind is adaptations)
            continue;
        }
        let entity = match (first, before) {
            ("soknader", "soknader") if route.contains("/dokumenter/") => "document_case",
            (_, "soknader") => "application",
            (_, "dokumenter") => "document",
            (_, "husstand") | (_, "innsyn") => "person",
            (_, "vedtak") => "decision",
            ("vedtak", "punkter") => "point",
            ("moter", "punkter") => "item",
            (_, "klager") => "appeal",
            (_, "boliger") => "dwelling",
            (_, "import") => "import",
            (_, "innlesing") => "rent_import",
            (_, "innbetalinger") => "rent_import_line",
            (_, "kontoer") => "rent_account",
            (_, "eiendommer") => "property",
            (_, "moter") => "meeting",
            (_, "tilbud") => "offer",
            (_, "brev") => "letter",
            (_, "brukere") => "user",
            (_, "omrader") => "area",
            (_, "type") | (_, "{kind}") => "dwelling_type",
            (_, "forhandsvarsel") => "advance_notice",
            (_, "leiekontrakter") => "lease",
            (_, "soknadsgrunner") => "reason",
            (_, "kpi") => "cpi_run",
            (_, "korttidsgrunnlag") => "short_term_ground",
            (_, "typer") => "kind",
            (_, "standardtekster") => "paragraph",
            _ => return None,
        };
        out.push(ids(entity)?);
    }
    Some(out.join("/"))
}
