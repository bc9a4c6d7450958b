//! Embedded static files (`assets/`): the stylesheet, the page scripts, the vendored
//! htmx, cytoscape.js and uPlot, and the OpenAPI document. Served under `/static/`
//! without authentication (they hold no data), with an ETag for revalidation.

use crate::Shared;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The embedded `assets/` folder.
#[derive(rust_embed::RustEmbed)]
#[folder = "assets/"]
#[exclude = "*.md"]
pub struct Assets;

/// Routes for `/static/{*path}`.
pub fn routes() -> Router<Shared> {
    Router::new().route("/static/{*path}", get(serve_static))
}

/// One embedded file as a response (404 when absent).
pub fn file_response(path: &str, req_headers: &HeaderMap) -> Response {
    let Some(f) = Assets::get(path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let etag = format!("\"{}\"", crate::auth::hex(&f.metadata.sha256_hash()[..16]));
    if req_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut r = f.data.into_owned().into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(f.metadata.mimetype()) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    r
}

async fn serve_static(Path(path): Path<String>, headers: HeaderMap) -> Response {
    file_response(&path, &headers)
}
