//! Who is acting, and the rules of who may see and do what.
//!
//! The security model (docs/portal.md, "Security model", says the same for people):
//!
//! - A user belongs to one organisation with one role: `admin` (manages the organisation's
//!   users and tokens, and does what a member does), `member` (reads and writes the
//!   organisation's data), `auditor` (reads only). An API token acts for one organisation
//!   with the role it was given, never more than its creator's.
//! - The instance administrator belongs to no organisation: it creates organisations and
//!   their first admins, and reads organisations' names. It reads no tenant's data.
//! - A customer's data (subscriptions, obligations, audits, attestations, files, its log
//!   entries) is its own. The provider of a subscribed model sees that the subscription
//!   exists, its version and acknowledgements, and each piece of evidence the customer
//!   shared with it, item by item. Customers never see each other.
//! - A provider's published models are readable by every signed-in user. Its own evidence
//!   is its own, except what it publishes, which the customers subscribed to that model see.
//!
//! Reads of what a principal may not see answer `NotFound`, never `Forbidden`: existence is
//! not disclosed. `Forbidden` is for what it may see but not change (an auditor writing).

use serde::{Deserialize, Serialize};

use crate::{Result, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Member,
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }

    /// Rank for "no more than": admin > member > auditor.
    pub fn rank(self) -> u8 {
        match self {
            Role::Admin => 2,
            Role::Member => 1,
            Role::Auditor => 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum OrgKind {
    Provider,
    Customer,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Provider => "provider",
            OrgKind::Customer => "customer",
        }
    }

    pub fn parse(s: &str) -> Option<OrgKind> {
        match s {
            "provider" => Some(OrgKind::Provider),
            "customer" => Some(OrgKind::Customer),
            _ => None,
        }
    }
}

/// An organisation as others may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgRef {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub kind: OrgKind,
}

/// Who is acting: a signed-in user, or an API token acting for its organisation.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Principal {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub org: Option<OrgRef>,
    pub role: Role,
    pub instance_admin: bool,
    /// The API token's id when acting through one.
    pub token_id: Option<String>,
    pub lang: Option<String>,
}

impl Principal {
    /// Whether the principal belongs to the organisation `org_id`.
    pub fn is_member_of(&self, org_id: &str) -> bool {
        self.org.as_ref().is_some_and(|o| o.id == org_id)
    }

    /// May read the organisation's own data.
    pub fn read(&self, org_id: &str) -> Result<()> {
        if self.is_member_of(org_id) {
            Ok(())
        } else {
            Err(StoreError::NotFound("organisation"))
        }
    }

    /// May change the organisation's data (members and admins).
    pub fn write(&self, org_id: &str) -> Result<()> {
        self.read(org_id)?;
        if self.role == Role::Auditor {
            return Err(StoreError::Forbidden("auditors read only"));
        }
        Ok(())
    }

    /// May manage the organisation's users and tokens (its admins; the instance
    /// administrator for users, to create first admins).
    pub fn admin(&self, org_id: &str) -> Result<()> {
        self.read(org_id)?;
        if self.role != Role::Admin {
            return Err(StoreError::Forbidden(
                "only the organisation's admins may do this",
            ));
        }
        Ok(())
    }

    /// The principal's organisation, required to be of `kind`.
    pub fn org_of_kind(&self, org_id: &str, kind: OrgKind) -> Result<&OrgRef> {
        self.read(org_id)?;
        match &self.org {
            Some(o) if o.kind == kind => Ok(o),
            _ => Err(StoreError::Forbidden(match kind {
                OrgKind::Provider => "only a provider organisation may do this",
                OrgKind::Customer => "only a customer organisation may do this",
            })),
        }
    }

    pub fn instance_admin(&self) -> Result<()> {
        if self.instance_admin {
            Ok(())
        } else {
            Err(StoreError::Forbidden(
                "only the instance administrator may do this",
            ))
        }
    }
}
