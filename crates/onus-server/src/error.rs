//! Errors as the API answers them: JSON with a stable code, a message and, where one input
//! is at fault, the field it came from.
//!
//! Codes are stable (clients may match on them): `bad_request`, `invalid`, `unauthenticated`,
//! `forbidden`, `not_found`, `conflict`, `too_large`, `rate_limited`, `csrf`, `internal`.
//! `internal` (500) is only ever a database or server failure, never the input's fault.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use onus_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable.
    pub code: &'static str,
    /// For people.
    pub message: String,
    /// The input field at fault (`email`, `body`, `activity`), when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Located findings (a model's validation, an attestations file's line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Boxed: errors travel in every `Result` of the server; keep them one pointer wide.
    pub detail: Box<ErrorDetail>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            detail: Box::new(ErrorDetail {
                code,
                message: message.into(),
                field: None,
                details: None,
            }),
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.detail.field = Some(field.into());
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.detail.details = Some(details);
        self
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message).field(field)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthenticated() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in, or send `Authorization: Bearer <API token>`",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn csrf() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "missing or wrong CSRF token: send the session's token in `X-CSRF-Token` (or the form's `csrf` field)",
        )
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {e}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; the error is in its log",
        )
    }

    /// The code for a status, for errors produced outside the handlers (405, 413, 404).
    pub fn from_status(status: StatusCode) -> Self {
        let (code, message) = match status {
            StatusCode::NOT_FOUND => ("not_found", "no such endpoint"),
            StatusCode::METHOD_NOT_ALLOWED => {
                ("bad_request", "method not allowed on this endpoint")
            }
            StatusCode::PAYLOAD_TOO_LARGE => (
                "too_large",
                "the request body is larger than the server accepts",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ("bad_request", "unsupported content type"),
            StatusCode::UNAUTHORIZED => ("unauthenticated", "sign in first"),
            StatusCode::FORBIDDEN => ("forbidden", "forbidden"),
            s if s.is_server_error() => ("internal", "the server failed"),
            _ => ("bad_request", "bad request"),
        };
        ApiError::new(status, code, message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Forbidden(why) => ApiError::forbidden(why),
            StoreError::Conflict { field, message } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message).field(field)
            }
            StoreError::Invalid { field, message } => ApiError::invalid(field, message),
            // An archive to import that does not read or check is the input's fault.
            StoreError::Archive(e) => ApiError::invalid("archive", e.to_string()),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(ErrorBody {
                error: *self.detail,
            }),
        )
            .into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
