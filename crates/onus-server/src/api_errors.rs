//! The error answers every operation of the API may give, written into the OpenAPI document
//! once instead of on each handler: a client (and the schemathesis fuzzing of `.ci/fuzz-api`)
//! then finds every status the server can answer declared, each with [`ErrorBody`].
//!
//! Which: 400 (a query or path the router cannot read), 401 (no or unknown credentials), 403
//! (a role or the CSRF header), 404 (what the caller may not see answers like what does not
//! exist), 409 on changes (a duplicate), 413 (a body over `--max-body-mib`), 422 (input at
//! fault, with its field), 429 on sign-in. 500 is never declared: it is always a bug.

use utoipa::openapi::path::Operation;
use utoipa::openapi::{Ref, RefOr, ResponseBuilder};

use crate::error::ErrorBody;

/// Declares the common errors on every operation of `doc` (once its paths are in).
pub fn declare(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::Modify;
    CommonErrors.modify(doc);
}

struct CommonErrors;

fn add(op: &mut Operation, status: &str, what: &str) {
    if op.responses.responses.contains_key(status) {
        return;
    }
    let body = utoipa::openapi::ContentBuilder::new()
        .schema(Some(RefOr::Ref(Ref::from_schema_name(
            <ErrorBody as utoipa::ToSchema>::name(),
        ))))
        .build();
    op.responses.responses.insert(
        status.to_string(),
        RefOr::T(
            ResponseBuilder::new()
                .description(what)
                .content("application/json", body)
                .build(),
        ),
    );
}

impl utoipa::Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let ops = [
                (&mut item.get, false),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.patch, true),
                (&mut item.delete, true),
            ];
            for (op, change) in ops {
                let Some(op) = op.as_mut() else { continue };
                add(op, "400", "A query or path parameter that cannot be read");
                add(op, "401", "No credentials, or unknown ones");
                add(
                    op,
                    "403",
                    "Not allowed to the caller's role, or the CSRF header is missing",
                );
                add(op, "404", "Not found, or not visible to the caller");
                add(op, "422", "Input at fault: `field` names it");
                if change {
                    add(op, "409", "Conflicts with what is there");
                    add(op, "413", "The body is larger than the server accepts");
                }
                if path == "/api/v1/auth/login" {
                    add(op, "429", "Too many sign-in attempts");
                }
            }
        }
    }
}
