//! The UI's words in English and French. A key missing here shows as itself, and a test
//! checks that every key the templates use is here in both languages.

/// `(key, English, French)`.
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("skip", "Skip to content", "Aller au contenu"),
    ("portal", "responsibility portal", "portail des responsabilités"),
    ("main_nav", "Main", "Principal"),
    ("dashboard", "Dashboard", "Tableau de bord"),
    ("obligations", "Obligations", "Obligations"),
    ("models", "Models", "Modèles"),
    ("versions", "Versions", "Versions"),
    ("evidence", "Evidence", "Preuves"),
    ("users_tokens", "Users & tokens", "Utilisateurs et jetons"),
    ("log", "Log", "Journal"),
    ("pending", "pending", "en attente"),
    ("role_admin", "admin", "administrateur"),
    ("role_member", "member", "membre"),
    ("role_auditor", "auditor", "auditeur"),
    ("sign_out", "Sign out", "Se déconnecter"),
    ("sign_in", "Sign in", "Se connecter"),
    ("sign_in_lead", "The portal where a provider and its customers share their responsibilities.", "Le portail où un fournisseur et ses clients partagent leurs responsabilités."),
    ("email", "E-mail", "Courriel"),
    ("password", "Password", "Mot de passe"),
    ("error", "Error:", "Erreur :"),
    ("footer", "shared-responsibility models as a system", "les modèles de responsabilité partagée comme un système"),
    ("st_passing", "passing", "conforme"),
    ("st_failing", "failing", "en échec"),
    ("st_attested", "attested", "attesté"),
    ("st_overdue", "overdue", "en retard"),
    ("st_unknown", "unknown", "inconnu"),
    ("what_changed", "What changed", "Ce qui a changé"),
    ("moves_duty", "moves a duty onto you", "vous transfère une responsabilité"),
    ("review_ack", "review and acknowledge", "examiner et accuser réception"),
    ("version", "version", "version"),
    ("duties_ok", "duties passing or attested", "responsabilités conformes ou attestées"),
    ("see_obligations", "See the obligations", "Voir les obligations"),
    ("matrix", "Matrix", "Matrice"),
    ("latest_audit", "Latest audit", "Dernier audit"),
    ("objects", "objects", "objets"),
    ("no_audit", "No audit uploaded yet.", "Aucun audit envoyé pour l'instant."),
    ("compliance_over_time", "Compliance over time (duties by status after each change of evidence)", "Conformité dans le temps (responsabilités par statut après chaque preuve)"),
    ("getting_started", "Getting started", "Pour commencer"),
    ("start_customer", "Subscribe to your provider's model to see your duties:", "Abonnez-vous au modèle de votre fournisseur pour voir vos responsabilités :"),
    ("start_provider", "Publish your model so that your customers can subscribe:", "Publiez votre modèle pour que vos clients s'y abonnent :"),
    ("overdue_failing", "Failing and overdue", "En échec et en retard"),
    ("nothing", "Nothing failing or overdue.", "Rien en échec ni en retard."),
    ("due_soon", "Due in the next 60 days", "À échéance dans les 60 jours"),
    ("nothing_due", "Nothing due soon.", "Rien à échéance proche."),
    ("customers", "Customers", "Clients"),
    ("customer", "Customer", "Client"),
    ("model", "Model", "Modèle"),
    ("acknowledgement", "Acknowledgement", "Accusé de réception"),
    ("up_to_date", "up to date", "à jour"),
    ("shared_with_you", "Evidence shared with you", "Preuves partagées avec vous"),
    ("instance", "Instance administration", "Administration de l'instance"),
    ("organisations", "Organisations", "Organisations"),
    ("name", "Name", "Nom"),
    ("kind", "Kind", "Type"),
    ("kind_provider", "provider", "fournisseur"),
    ("kind_customer", "customer", "client"),
    ("no_orgs", "No organisation yet.", "Aucune organisation pour l'instant."),
    ("new_org", "New organisation", "Nouvelle organisation"),
    ("slug_hint", "(lowercase, in URLs)", "(minuscules, dans les URL)"),
    ("first_admin_email", "First admin's e-mail", "Courriel du premier administrateur"),
    ("first_admin_name", "First admin's name", "Nom du premier administrateur"),
    ("create", "Create", "Créer"),
    ("password_once", "One-time password (shown once):", "Mot de passe à usage unique (affiché une fois) :"),
    ("filter", "Filter", "Filtrer"),
    ("status", "Status", "Statut"),
    ("all", "all", "tous"),
    ("activity", "Activity", "Activité"),
    ("duty", "Duty", "Responsabilité"),
    ("owner", "Owner", "Responsable"),
    ("due", "Due", "Échéance"),
    ("letters", "roles", "rôles"),
    ("checks", "checks", "contrôles"),
    ("attested_on", "attested", "attesté le"),
    ("needs_attestation", "needs attestation", "attestation requise"),
    ("cadence", "cadence", "périodicité"),
    ("evidence_history", "Evidence history", "Historique des preuves"),
    ("audits", "Audit runs", "Audits"),
    ("audit", "audit", "audit"),
    ("date", "Date", "Date"),
    ("result", "Result", "Résultat"),
    ("by", "By", "Par"),
    ("attestations", "Attestations", "Attestations"),
    ("attestation", "attestation", "attestation"),
    ("file", "file", "fichier"),
    ("no_evidence", "No evidence yet: attest it, or upload an audit whose checks speak to it.", "Aucune preuve : attestez-la, ou envoyez un audit dont les contrôles la couvrent."),
    ("owner_notes", "Owner and notes", "Responsable et notes"),
    ("owner_hint", "(a person or a team)", "(une personne ou une équipe)"),
    ("notes", "Notes", "Notes"),
    ("save", "Save", "Enregistrer"),
    ("attest", "Attest", "Attester"),
    ("date_done", "Done on", "Réalisé le"),
    ("valid_for", "Valid for", "Valable"),
    ("valid_hint", "(ISO 8601, e.g. P1Y; default: the cadence)", "(ISO 8601, ex. P1Y ; par défaut : la périodicité)"),
    ("evidence_file", "Evidence file", "Fichier de preuve"),
    ("note", "Note", "Note"),
    ("provider", "Provider", "Fournisseur"),
    ("published", "Published", "Publié"),
    ("actions", "Actions", "Actions"),
    ("subscribed", "subscribed", "abonné"),
    ("subscribe", "Subscribe", "S'abonner"),
    ("publish_version", "Publish a version", "Publier une version"),
    ("publish_lead", "The model's YAML, validated as `onus validate` does: errors refuse it; a published version never changes.", "Le YAML du modèle, validé comme par `onus validate` : une erreur le refuse ; une version publiée ne change jamais."),
    ("model_file", "Model file", "Fichier du modèle"),
    ("or_paste", "or paste it", "ou collez-le"),
    ("publish", "Publish", "Publier"),
    ("findings", "Findings", "Constats"),
    ("line", "line", "ligne"),
    ("column", "column", "colonne"),
    ("matrix_lead", "Each party's roles, and where the duty stands for the parties you can see.", "Les rôles de chaque partie, et l'état des responsabilités que vous pouvez voir."),
    ("no_notices", "No new version of your models.", "Aucune nouvelle version de vos modèles."),
    ("acknowledged", "acknowledged", "accusé de réception"),
    ("shifts", "Responsibility shifts", "Transferts de responsabilité"),
    ("added", "Added activities", "Activités ajoutées"),
    ("removed", "Removed activities", "Activités retirées"),
    ("wording_changes", "wording changes", "changements de formulation"),
    ("no_changes", "No change of substance.", "Aucun changement de fond."),
    ("acknowledge", "Acknowledge this version", "Accuser réception de cette version"),
    ("upload_audit", "Upload an audit", "Envoyer un audit"),
    ("upload_audit_lead", "The JSON of `onus audit -o json` (or push it: `onus audit ... --push URL --token TOKEN`).", "Le JSON de `onus audit -o json` (ou poussez-le : `onus audit ... --push URL --token JETON`)."),
    ("report_file", "Report (JSON)", "Rapport (JSON)"),
    ("upload", "Upload", "Envoyer"),
    ("upload_attestations", "Upload an attestations file", "Envoyer un fichier d'attestations"),
    ("upload_attestations_lead", "The `onus.attestations/v1` YAML that `onus audit --attestations` reads.", "Le YAML `onus.attestations/v1` que lit `onus audit --attestations`."),
    ("attestations_file", "Attestations (YAML)", "Attestations (YAML)"),
    ("shared", "shared", "partagé"),
    ("private", "private", "privé"),
    ("share_with_provider", "Shared with the provider", "Partagé avec le fournisseur"),
    ("publish_to_customers", "Published to customers", "Publié aux clients"),
    ("ran", "ran", "exécuté"),
    ("no_attestations", "No attestation yet.", "Aucune attestation pour l'instant."),
    ("users", "Users", "Utilisateurs"),
    ("role", "Role", "Rôle"),
    ("add_user", "Add a user", "Ajouter un utilisateur"),
    ("tokens", "API tokens", "Jetons d'API"),
    ("tokens_lead", "For CI jobs and scripts (`Authorization: Bearer`). Shown once; stored hashed; revocable.", "Pour la CI et les scripts (`Authorization: Bearer`). Affiché une fois ; stocké haché ; révocable."),
    ("created", "Created", "Créé"),
    ("last_used", "Last used", "Dernier usage"),
    ("revoked", "revoked", "révoqué"),
    ("revoke", "Revoke", "Révoquer"),
    ("new_token", "New token", "Nouveau jeton"),
    ("token_name_hint", "(what uses it)", "(ce qui l'utilise)"),
    ("new_token_once", "Your new token (shown once, copy it now):", "Votre nouveau jeton (affiché une fois, copiez-le maintenant) :"),
    ("new_user_once", "The new user's one-time password (shown once):", "Le mot de passe à usage unique du nouvel utilisateur (affiché une fois) :"),
    ("log_lead", "Every change to your organisation's data, each entry chained to the previous one by its hash (`onus log verify` recomputes the chain).", "Chaque modification des données de votre organisation, chaque entrée chaînée à la précédente par son empreinte (`onus log verify` recalcule la chaîne)."),
    ("who", "Who", "Qui"),
    ("action", "Action", "Action"),
    ("hash", "Hash", "Empreinte"),
    ("previous", "previous:", "précédente :"),
    ("pages", "Pages", "Pages"),
    ("newer", "Newer", "Plus récentes"),
    ("older", "Older", "Plus anciennes"),
    ("shared_lead", "What your customers chose to share with you, item by item. The rest of their evidence is theirs.", "Ce que vos clients ont choisi de partager avec vous, élément par élément. Le reste de leurs preuves leur appartient."),
    ("what", "What", "Quoi"),
    ("nothing_shared", "Nothing shared with you yet.", "Rien n'a encore été partagé avec vous."),
    ("back", "Back", "Retour"),
    ("done_saved", "Saved.", "Enregistré."),
    ("done_uploaded", "Uploaded: statuses are up to date.", "Envoyé : les statuts sont à jour."),
    ("done_subscribed", "Subscribed: your obligations are listed below.", "Abonné : vos obligations sont ci-dessous."),
    ("done_acknowledged", "Acknowledged: your obligations follow the new version.", "Réception accusée : vos obligations suivent la nouvelle version."),
    ("done_published", "Published.", "Publié."),
    ("done_revoked", "Token revoked.", "Jeton révoqué."),
    ("done_shared", "Sharing updated.", "Partage mis à jour."),
    ("done_created", "Created.", "Créé."),
    ("not_found", "Not found", "Introuvable"),
    ("not_found_text", "This page does not exist, or you may not see it.", "Cette page n'existe pas, ou vous ne pouvez pas la voir."),
    ("refused", "This could not be done", "Impossible de faire cela"),
    ("your_duties", "Your duties", "Vos responsabilités"),
    ("provider_duties", "The provider's duties", "Les responsabilités du fournisseur"),
];

/// The text of `key` in `lang` (`fr`, else English).
pub fn t(lang: &str, key: &str) -> String {
    TEXTS.iter().find(|(k, _, _)| *k == key).map_or_else(
        || key.to_string(),
        |(_, en, fr)| {
            if lang == "fr" {
                (*fr).to_string()
            } else {
                (*en).to_string()
            }
        },
    )
}

/// The language a browser prefers among ours, from `Accept-Language`.
pub fn from_accept(header: &str) -> &'static str {
    let mut best = ("en", -1.0f32);
    for part in header.split(',') {
        let mut it = part.trim().split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let lang = if tag.starts_with("fr") {
            "fr"
        } else if tag.starts_with("en") {
            "en"
        } else {
            continue;
        };
        if q > best.1 {
            best = (lang, q);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        assert_eq!(from_accept("fr-FR,fr;q=0.9,en;q=0.8"), "fr");
        assert_eq!(from_accept("de-DE,en;q=0.5,fr;q=0.7"), "fr");
        assert_eq!(from_accept("de"), "en");
        assert_eq!(from_accept(""), "en");
    }

    #[test]
    fn every_key_the_templates_use_is_translated() {
        let re = regex_lite(r#"t\(["']([a-z_]+)["']\)"#);
        for (name, text) in crate::ui::TEMPLATES {
            for key in re(text) {
                assert!(
                    TEXTS
                        .iter()
                        .any(|(k, en, fr)| *k == key && !en.is_empty() && !fr.is_empty()),
                    "{name}: `{key}` has no translation"
                );
            }
        }
        let keys: Vec<&str> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), keys.len(), "duplicate keys");
    }

    /// The keys of `t("key")` calls (a tiny scanner: no regex dependency for one test).
    fn regex_lite(_: &str) -> impl Fn(&str) -> Vec<String> {
        |text: &str| {
            let mut out = Vec::new();
            for quote in ['"', '\''] {
                let pat = format!("t({quote}");
                let mut rest = text;
                while let Some(i) = rest.find(&pat) {
                    rest = &rest[i + pat.len()..];
                    if let Some(j) = rest.find(quote) {
                        let key = &rest[..j];
                        let whole = rest[j + 1..].starts_with(')');
                        if whole
                            && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                            && !key.is_empty()
                        {
                            out.push(key.to_string());
                        }
                    }
                }
            }
            out
        }
    }
}
