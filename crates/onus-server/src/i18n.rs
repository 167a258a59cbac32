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
    // Reversibility and end of service (issue 14).
    ("leave_nav", "Leaving", "Départ"),
    ("leave_title", "Leaving and end of service", "Départ et fin de service"),
    ("leave_lead", "Take everything of yours with you, end a service with its checklist, and delete your organisation with a signed certificate.", "Emportez tout ce qui est à vous, terminez un service avec sa liste de contrôle, et supprimez votre organisation avec un certificat signé."),
    ("export_title", "Export everything", "Tout exporter"),
    ("export_lead", "One archive (onus.export/v1, a tar of JSON files) that another onus instance imports as it is.", "Une archive (onus.export/v1, un tar de fichiers JSON) qu'une autre instance d'onus importe telle quelle."),
    ("export_has", "Holds: the organisation, its users (no passwords), subscriptions with the exact model versions, obligations with owners and notes, every audit run and attestation with its files, the end-of-service checklists, events with their timelines and files, notification settings and notifications, webhooks (with their signing secrets: keep the archive safe), your log entries with the proof they belong to the chain, a manifest of SHA-256 signed by this instance.", "Contient : l'organisation, ses utilisateurs (sans mots de passe), les abonnements avec les versions exactes des modèles, les obligations avec responsables et notes, chaque audit et attestation avec ses fichiers, les listes de fin de service, les événements avec leur historique et leurs fichiers, les réglages de notification et les notifications, les webhooks (avec leurs secrets de signature : gardez l'archive en lieu sûr), vos entrées du journal avec la preuve de leur place dans la chaîne, un manifeste SHA-256 signé par cette instance."),
    ("export_not", "Never another organisation's data, nor sessions or API tokens (valid here only).", "Jamais les données d'une autre organisation, ni les sessions ou jetons d'API (valables ici seulement)."),
    ("export_button", "Download the export", "Télécharger l'export"),
    ("export_verify", "Check it offline:", "Vérifiez-le hors ligne :"),
    ("admins_only", "Your organisation's admins can do this.", "Les administrateurs de votre organisation peuvent le faire."),
    ("your_subscriptions", "Your subscriptions", "Vos abonnements"),
    ("ends_on", "ends on", "se termine le"),
    ("ended_on", "ended on", "terminé le"),
    ("cancelled_by_customer", "cancelled by the customer", "résilié par le client"),
    ("terminated_by_provider", "terminated by the provider", "résilié par le fournisseur"),
    ("cancel_on", "Cancel, with the service ending on", "Résilier, fin du service le"),
    ("terminate_on", "Terminate, with the service ending on", "Résilier, fin du service le"),
    ("reason", "Reason (optional)", "Motif (facultatif)"),
    ("cancel_button", "Cancel the subscription", "Résilier l'abonnement"),
    ("terminate_button", "Terminate the subscription", "Résilier l'abonnement"),
    ("running", "Running.", "En cours."),
    ("no_subscriptions", "No subscription.", "Aucun abonnement."),
    ("checklist_title", "End-of-service checklist", "Liste de fin de service"),
    ("checklist_lead", "When a service ends, the model's end-of-service activities become this list: each line with the party that does it and its deadline, ticked off by that party.", "Quand un service se termine, les activités de fin de service du modèle forment cette liste : chaque ligne avec la partie qui la réalise et son échéance, cochée par cette partie."),
    ("no_checklist", "No service is ending, or its model names no end-of-service activity.", "Aucun service ne se termine, ou son modèle ne nomme aucune activité de fin de service."),
    ("who_does_it", "Who does it", "Qui la réalise"),
    ("informed", "informed", "informé"),
    ("eos_open", "to do", "à faire"),
    ("eos_done", "done", "fait"),
    ("eos_overdue", "overdue", "en retard"),
    ("mark_done", "Mark done", "Marquer fait"),
    ("undo", "Undo", "Annuler"),
    ("delete_title", "Delete the organisation", "Supprimer l'organisation"),
    ("delete_lead", "Deletes every row and file of your organisation from this instance, sessions and API tokens included, and reclaims the space. This cannot be undone: export first.", "Supprime de cette instance chaque ligne et chaque fichier de votre organisation, sessions et jetons d'API compris, et récupère l'espace. C'est irréversible : exportez d'abord."),
    ("delete_what", "Deleted: the organisation, its users, subscriptions, obligations, audits, attestations, files, checklists, events, notifications, webhooks, sessions, tokens.", "Supprimés : l'organisation, ses utilisateurs, abonnements, obligations, audits, attestations, fichiers, listes de fin de service, événements, notifications, webhooks, sessions, jetons."),
    ("delete_kept", "Kept: your log entries as hashes only (their content removed), so that the log stays verifiable, and the deletion certificate.", "Conservés : vos entrées du journal sous forme d'empreintes seulement (leur contenu supprimé), pour que le journal reste vérifiable, et le certificat de suppression."),
    ("delete_kept_retention", "Kept: the content of your log entries for the period this instance's retention setting gives, then their hashes only; and the deletion certificate. Setting:", "Conservés : le contenu de vos entrées du journal pendant la durée que fixe le réglage de conservation de cette instance, puis leurs empreintes seulement ; et le certificat de suppression. Réglage :"),
    ("delete_cert", "You receive a deletion certificate signed with this instance's key, to check offline.", "Vous recevez un certificat de suppression signé avec la clé de cette instance, à vérifier hors ligne."),
    ("delete_confirm", "Type the organisation's slug to confirm:", "Saisissez l'identifiant de l'organisation pour confirmer :"),
    ("delete_button", "Delete everything", "Tout supprimer"),
    ("delete_wait", "Every subscription must have ended first (cancel them above; the deletion is possible from their end date).", "Chaque abonnement doit d'abord être terminé (résiliez-les ci-dessus ; la suppression est possible dès leur date de fin)."),
    ("deleted_title", "Organisation deleted", "Organisation supprimée"),
    ("deleted_lead", "Everything of the organisation was deleted from this instance. Your account no longer exists: keep the certificate, it is your proof.", "Tout ce qui appartenait à l'organisation a été supprimé de cette instance. Votre compte n'existe plus : gardez le certificat, c'est votre preuve."),
    ("download_certificate", "Download the deletion certificate", "Télécharger le certificat de suppression"),
    ("deleted_keep_it", "Its address works for anyone who has it: keep it to yourself.", "Son adresse fonctionne pour quiconque la possède : gardez-la pour vous."),
    ("deleted_verify", "Check it offline against the instance's public key:", "Vérifiez-le hors ligne avec la clé publique de l'instance :"),
    ("deleted_at", "Deleted at", "Supprimée le"),
    ("deleted_by", "Deleted by", "Supprimée par"),
    ("export_manifest", "Export (manifest SHA-256)", "Export (SHA-256 du manifeste)"),
    ("no_export", "no export was taken", "aucun export n'a été fait"),
    ("deleted_counts", "Deleted", "Supprimé"),
    ("storage", "Storage", "Stockage"),
    ("reclaim_failed", "reclaiming the space failed: the operator was told", "la récupération de l'espace a échoué : l'opérateur est prévenu"),
    ("signed_by", "Signed by the instance key", "Signé par la clé de l'instance"),
    ("what_is_kept", "What the instance keeps", "Ce que l'instance conserve"),
    ("import_title", "Import an organisation", "Importer une organisation"),
    ("import_lead", "An onus.export/v1 archive from another instance: the organisation, its users (each with a new one-time password) and the provider models it needs. Large archives: onus org import on the server.", "Une archive onus.export/v1 d'une autre instance : l'organisation, ses utilisateurs (chacun avec un nouveau mot de passe à usage unique) et les modèles de fournisseur nécessaires. Grosses archives : onus org import sur le serveur."),
    ("archive_file", "Archive (.tar)", "Archive (.tar)"),
    ("import_button", "Import", "Importer"),
    ("imported_title", "Organisation imported", "Organisation importée"),
    ("imported_passwords", "Each user's one-time password, shown once: hand them over securely.", "Le mot de passe à usage unique de chaque utilisateur, affiché une seule fois : transmettez-les de façon sûre."),
    ("imported_what", "What was imported", "Ce qui a été importé"),
    ("imported_models", "Provider models this instance did not have, created:", "Modèles de fournisseur que cette instance n'avait pas, créés :"),
    ("done_ended", "The end of service is recorded: its checklist is below.", "La fin de service est enregistrée : sa liste est ci-dessous."),
    ("done_ticked", "Checklist updated.", "Liste mise à jour."),
    ("end_of_service", "End of service", "Fin de service"),
    // Events, notifications and webhooks (issue 13).
    ("events", "Events", "Événements"),
    ("event", "Event", "Événement"),
    ("notifications", "Notifications", "Notifications"),
    ("unread", "unread", "non lues"),
    ("webhooks", "Webhooks", "Webhooks"),
    ("ev_active", "in progress", "en cours"),
    ("ev_open", "open", "ouvert"),
    ("ev_acknowledged", "acknowledged", "pris en compte"),
    ("ev_resolved", "resolved", "résolu"),
    ("ev_closed", "closed", "clos"),
    ("ev_rejected", "rejected", "refusé"),
    ("kind_incident", "Incidents", "Incidents"),
    ("kind_change", "Changes", "Changements"),
    ("kind_announcement", "Announcements", "Annonces"),
    ("kind_version", "New model versions", "Nouvelles versions du modèle"),
    ("type_incident", "Incident", "Incident"),
    ("type_provider_incident", "Provider incident", "Incident fournisseur"),
    ("type_misconfiguration_incident", "Misconfiguration incident", "Incident de mauvaise configuration"),
    ("type_internal_incident", "Incident on what the customer runs", "Incident sur ce que le client exploite"),
    ("type_alert", "Alert", "Alerte"),
    ("type_change_request", "Change request", "Demande de changement"),
    ("type_maintenance", "Maintenance", "Maintenance"),
    ("type_forced_upgrade", "Forced upgrade", "Mise à niveau forcée"),
    ("type_patch", "Patch available", "Correctif disponible"),
    ("new_event", "Open an event", "Ouvrir un événement"),
    ("severity", "Severity", "Gravité"),
    ("sev_critical", "critical", "critique"),
    ("sev_high", "high", "haute"),
    ("sev_medium", "medium", "moyenne"),
    ("sev_low", "low", "basse"),
    ("opened", "Opened", "Ouvert le"),
    ("opened_by", "opened by", "ouvert par"),
    ("tta", "Time to acknowledge", "Délai de prise en compte"),
    ("ttr", "Time to resolve", "Délai de résolution"),
    ("your_role", "Your part", "Votre rôle"),
    ("role_acts", "acts", "agit"),
    ("role_approves", "approves", "approuve"),
    ("role_consulted", "consulted", "consulté"),
    ("role_informed", "informed", "informé"),
    ("acknowledged_by_customers", "customers acknowledged", "clients ont accusé réception"),
    ("no_events", "No event yet.", "Aucun événement pour l'instant."),
    ("who_does_what", "Who does what (from the model)", "Qui fait quoi (d'après le modèle)"),
    ("details", "Details", "Détails"),
    ("title", "Title", "Titre"),
    ("description", "Description", "Description"),
    ("affected_service", "Affected service", "Service affecté"),
    ("affected_service_hint", "(cluster, application)", "(cluster, application)"),
    ("announced_date", "Date", "Date"),
    ("concerned_customers", "Customers concerned", "Clients concernés"),
    ("concerned_customers_hint", "(each sees its own copy; none sees the others)", "(chacun voit le sien ; aucun ne voit les autres)"),
    ("choose_customers", "choose at least one customer", "choisissez au moins un client"),
    ("attachment", "Attachment", "Pièce jointe"),
    ("open_event", "Open", "Ouvrir"),
    ("bound_to", "Routed by activity", "Acheminé par l'activité"),
    ("opened_through", "Opened through activity", "Ouvert par l'activité"),
    ("party", "Party", "Partie"),
    ("in_workflow", "In the workflow", "Dans le déroulement"),
    ("at_opening", "at opening", "à l'ouverture"),
    ("r_opens", "opens it", "l'ouvre"),
    ("r_acts", "acts on it (R)", "agit (R)"),
    ("r_approves", "approves the resolution", "approuve la résolution"),
    ("r_consulted", "consulted before a decision (C)", "consulté avant une décision (C)"),
    ("r_informed", "informed of each change (I)", "informé de chaque changement (I)"),
    ("r_informed_opening", "informed of the opening", "informé de l'ouverture"),
    ("approval_accountable", "The party holding A approves the resolution: the event is not closed before.", "La partie qui tient A approuve la résolution : l'événement n'est pas clos avant."),
    ("approval_all_accountable", "Several parties hold A: every one of them must approve the resolution.", "Plusieurs parties tiennent A : chacune doit approuver la résolution."),
    ("approval_responsible", "Nobody holds A: the party holding R approves its own work, explicitly.", "Personne ne tient A : la partie qui tient R approuve son propre travail, explicitement."),
    ("what_you_can_do", "Your next step", "Votre prochaine étape"),
    ("read_only", "You read this event; you do not act on it.", "Vous consultez cet événement ; vous n'y agissez pas."),
    ("event_done", "This event is over.", "Cet événement est terminé."),
    ("acknowledge_take", "Acknowledge: take it", "Prendre en compte"),
    ("acknowledge_receipt", "Acknowledge receipt", "Accuser réception"),
    ("consult", "Consult", "Consulter"),
    ("consult_hint", "(every party holding C answers before the decision)", "(chaque partie qui tient C répond avant la décision)"),
    ("send_consultation", "Send the consultation", "Envoyer la consultation"),
    ("consulted_on", "You are consulted:", "Vous êtes consulté :"),
    ("your_answer", "Your answer", "Votre réponse"),
    ("answer", "Answer", "Répondre"),
    ("resolution", "Resolution", "Résolution"),
    ("resolve", "Resolve", "Résoudre"),
    ("rejection_reason", "Reason of the rejection", "Motif du refus"),
    ("reject", "Reject", "Refuser"),
    ("approve", "Approve the resolution", "Approuver la résolution"),
    ("refuse_reason", "Or refuse it, because", "Ou la refuser, parce que"),
    ("refuse", "Refuse", "Refuser"),
    ("waiting_approval", "Resolved: waiting for the accountable party's approval.", "Résolu : en attente de l'approbation de la partie redevable."),
    ("timeline", "Timeline", "Chronologie"),
    ("step_open", "opened", "a ouvert"),
    ("step_acknowledge", "acknowledged", "a pris en compte"),
    ("step_receipt", "acknowledged receipt", "a accusé réception"),
    ("step_comment", "commented", "a commenté"),
    ("step_consult", "consulted", "a consulté"),
    ("step_answer", "answered", "a répondu"),
    ("step_resolve", "resolved", "a résolu"),
    ("step_reject", "rejected", "a refusé"),
    ("step_approve", "approved", "a approuvé"),
    ("step_refuse", "refused the resolution", "a refusé la résolution"),
    ("step_remind", "reminder", "rappel"),
    ("consultations", "Consultations", "Consultations"),
    ("comment", "Comment", "Commentaire"),
    ("add_comment", "Add", "Ajouter"),
    ("goes_to", "Goes to", "Destinataire"),
    ("approval", "Approval", "Approbation"),
    ("admins", "the admins", "les administrateurs"),
    ("latest", "Latest", "Dernières"),
    ("mark_all_read", "Mark all read", "Tout marquer comme lu"),
    ("mail_new_version", "New version", "Nouvelle version"),
    ("no_notifications", "No notification.", "Aucune notification."),
    ("notification_settings", "What to tell you, and how", "Ce qu'on vous signale, et comment"),
    ("notification_settings_hint", "You are told of events that go to you: those whose duty you own, or your organisation's when nobody owns it and you are an admin.", "Vous êtes prévenu des événements qui vous reviennent : ceux dont vous portez la responsabilité, ou ceux de votre organisation si personne ne la porte et que vous êtes administrateur."),
    ("channel_portal", "In the portal", "Dans le portail"),
    ("channel_email", "By e-mail", "Par courriel"),
    ("email_off", "E-mail is not configured on this server (--smtp-url).", "Le courriel n'est pas configuré sur ce serveur (--smtp-url)."),
    ("webhook_secret_once", "The signing secret, shown once:", "Le secret de signature, affiché une fois :"),
    ("endpoints", "Endpoints", "Points de terminaison"),
    ("disabled", "turned off", "désactivé"),
    ("disable", "Turn off", "Désactiver"),
    ("no_webhooks", "No webhook yet.", "Aucun webhook pour l'instant."),
    ("webhook_format", "Each delivery is a signed JSON POST: Onus-Signature (HMAC-SHA256 over the timestamp and the body) and an Idempotency-Key that stays the same when it is retried or replayed.", "Chaque livraison est un POST JSON signé : Onus-Signature (HMAC-SHA256 sur l'horodatage et le corps) et une Idempotency-Key qui reste la même quand elle est renvoyée ou rejouée."),
    ("add_webhook", "Add a webhook", "Ajouter un webhook"),
    ("kinds_received", "What it receives", "Ce qu'il reçoit"),
    ("delivery_log", "Delivery log", "Journal des livraisons"),
    ("attempts", "Attempts", "Tentatives"),
    ("response", "Response", "Réponse"),
    ("dl_pending", "pending", "en attente"),
    ("dl_delivered", "delivered", "livré"),
    ("dl_failed", "failed", "échoué"),
    ("replay", "Replay", "Rejouer"),
    ("no_deliveries", "Nothing sent yet.", "Rien d'envoyé pour l'instant."),
    // Before a value after a label: French puts a space before the colon.
    ("colon", ": ", " : "),
    ("mail_hello", "Hello", "Bonjour"),
    ("mail_review", "Review and acknowledge it:", "Examinez-la et accusez-en réception :"),
    ("mail_open", "Open it in the portal:", "L'ouvrir dans le portail :"),
    ("mail_why", "You receive this because it goes to you in onus. Choose what you receive:", "Vous recevez ce message parce qu'il vous revient dans onus. Choisissez ce que vous recevez :"),
    ("done_opened", "Opened.", "Ouvert."),
    ("done_updated", "Done.", "C'est fait."),
    ("done_replayed", "Queued again.", "Remis en file."),
    ("done_read", "Marked read.", "Marquées comme lues."),
    ("acks_title", "Customers' acknowledgements", "Accusés de réception des clients"),
    ("your_ack", "Your acknowledgement", "Votre accusé de réception"),
    ("not_yet", "not yet", "pas encore"),
    ("announcement_ack_hint", "The provider tracks which customers have read this announcement: acknowledge it once you have.", "Le fournisseur suit quels clients ont lu cette annonce : accusez-en réception une fois lue."),
    ("you_acknowledged", "You acknowledged it on", "Vous en avez accusé réception le"),
    ("following", "You are told of each change until it is closed.", "Vous êtes informé de chaque changement jusqu'à sa clôture."),
    // Between the items of a list of roles: French puts a space before the semicolon.
    ("list_sep", "; ", " ; "),
    ("outcome", "Outcome", "Résultat"),
    ("rejected_because", "Rejected:", "Rejeté :"),
    ("demo_receiver", "Demo webhook receiver", "Récepteur de webhooks de démonstration"),
    ("demo_receiver_lead", "What your organisation's webhook received, newest first, each signature checked as a receiver should (this page exists only in the demo; the webhooks of Shop SAS and OVHcloud point here).", "Ce que le webhook de votre organisation a reçu, du plus récent au plus ancien, chaque signature vérifiée comme un récepteur doit le faire (cette page n'existe que dans la démonstration ; les webhooks de Shop SAS et d'OVHcloud pointent ici)."),
    ("demo_receiver_link", "what your webhook's receiver got, signatures checked.", "ce que le récepteur de votre webhook a reçu, signatures vérifiées."),
    ("signature_valid", "signature valid", "signature valide"),
    ("repeat", "repeat", "répétition"),
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
