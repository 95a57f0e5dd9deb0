//! What a signed-in user may see: admins everything; managers and viewers of an agency only its
//! subtree. Every console page that lists or opens something filters through [`Scope`], so a
//! manager of one district cannot read another district's flows, group chats or audit trail.
//!
//! A viewer created without an agency reads the whole tree (an inspector of the province's
//! results); a manager always has an agency (`admin add` refuses one without).

use super::{Console, Signed};
use crate::core::agency::AgencyTree;
use crate::storage::{AuditEntry, FlowVersionInfo, Role};
use crate::web::HttpError;
use std::collections::{HashMap, HashSet};

pub struct Scope {
    tree: AgencyTree,
    /// The subtree's root; `None` for those who see everything.
    root: Option<String>,
    /// The flows used somewhere in the subtree (assigned there or inherited from above).
    flows: HashSet<String>,
}

impl Scope {
    pub async fn of(console: &Console, signed: &Signed) -> Result<Scope, HttpError> {
        let tree = console.db.agency_tree().await?;
        let root = match (signed.user.role, signed.user.agency_code.as_deref()) {
            (Role::Admin, _) | (Role::Viewer, None) => None,
            (_, agency) => Some(agency.unwrap_or_default().to_string()),
        };
        let mut flows = HashSet::new();
        if let Some(root) = &root {
            for (agency, flow) in console.db.flow_assignments().await? {
                if tree.within(&agency, root) {
                    flows.insert(flow);
                }
            }
            if tree.get(root).is_some() {
                flows.insert(
                    console
                        .db
                        .flow_for_agency(root, &console.default_flow)
                        .await?,
                );
            }
        }
        Ok(Scope { tree, root, flows })
    }

    pub fn sees_everything(&self) -> bool {
        self.root.is_none()
    }

    pub fn sees_agency(&self, code: &str) -> bool {
        match &self.root {
            None => true,
            Some(root) => self.tree.within(code, root),
        }
    }

    /// A version is seen when its flow is used in the subtree or an agency of it owns it.
    pub fn sees_flow(&self, info: &FlowVersionInfo) -> bool {
        self.sees_everything()
            || self.flows.contains(&info.flow_id)
            || info
                .owner_agency
                .as_deref()
                .is_some_and(|owner| self.sees_agency(owner))
    }

    /// An audit entry is seen when a user of the subtree made it, or it is about an agency of
    /// the subtree or a flow one of them owns.
    pub fn sees_audit(
        &self,
        entry: &AuditEntry,
        user_agencies: &HashMap<String, Option<String>>,
        owned_flows: &HashSet<String>,
    ) -> bool {
        if self.sees_everything() {
            return true;
        }
        let by_subtree = user_agencies
            .get(&entry.actor)
            .and_then(Option::as_deref)
            .is_some_and(|agency| self.sees_agency(agency));
        let subject = entry.target.split_whitespace().next().unwrap_or_default();
        by_subtree
            || (self.tree.get(subject).is_some() && self.sees_agency(subject))
            || owned_flows.contains(subject)
    }

    /// Refuses a version outside the scope as if it did not exist.
    pub fn check_flow(&self, info: &FlowVersionInfo) -> Result<(), HttpError> {
        if self.sees_flow(info) {
            Ok(())
        } else {
            Err(HttpError::NotFound("admin-not-found"))
        }
    }
}
