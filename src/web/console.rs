//! placeholder
use axum::Router;

use super::WebState;

pub(super) fn router() -> Router<WebState> {
    Router::new()
}
