//! Password changes and the password policy: a signed-in user changing their own password
//! (checks the current one, clears forced rotation, ends their other sessions), and the policy
//! every way of setting a password shares (`passwords.min_length`, the deny-list, not the
//! e-mail, not the current password).

use serde_json::json;

use super::IdentityError;
use super::password;
use super::sessions::{Client, Session};
use crate::settings::Settings;
use crate::store::rows::AuditEntry;
use crate::store::{Store, now};

/// Changes the signed-in user's password: checks the current one and the policy, clears forced
/// rotation, and ends the user's other sessions.
pub async fn change_password(
    store: &Store,
    settings: &Settings,
    session: &Session,
    current: &str,
    new: &str,
    client: &Client,
) -> Result<(), IdentityError> {
    let user = store
        .conn()
        .await?
        .ex()
        .get_user_row(&session.actor.user_id)
        .await?
        .ok_or_else(|| IdentityError::NotFound("user".into()))?;
    let hash = user.password_hash.clone().unwrap_or_default();
    if !password::verify(current, &hash).await {
        return Err(IdentityError::Invalid("current password: incorrect".into()));
    }
    check_policy_with(
        new,
        &user.email,
        Some(current),
        settings.password_min_length,
    )?;
    let phc = password::hash(new)
        .await
        .map_err(|e| IdentityError::Internal(e.to_string()))?;
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    ex.set_password(&user.id, &phc, false, at).await?;
    let ended = ex
        .end_user_sessions(&user.id, Some(&session.id), at)
        .await?;
    ex.insert_audit(
        &AuditEntry {
            actor: user.id.clone(),
            action: "password.changed".into(),
            target_kind: Some("user".into()),
            target_id: Some(user.id.clone()),
            details: json!({"other_sessions_ended": ended, "was_forced": user.must_change_password}),
            client_addr: client.addr.clone(),
        },
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// [`check_policy_with`] at the default minimum length ([`password::MIN_LENGTH`]).
pub fn check_policy(new: &str, email: &str, current: Option<&str>) -> Result<(), IdentityError> {
    check_policy_with(new, email, current, password::MIN_LENGTH)
}

/// The password policy: at least `min_length` characters (the `passwords.min_length`
/// setting), not on the deny-list, not the e-mail, not the current password. The message
/// names the field.
pub fn check_policy_with(
    new: &str,
    email: &str,
    current: Option<&str>,
    min_length: usize,
) -> Result<(), IdentityError> {
    if let Some(why) = password::weakness_with(new, min_length) {
        return Err(IdentityError::Invalid(format!("new password: {why}")));
    }
    if new.trim().eq_ignore_ascii_case(email.trim()) {
        return Err(IdentityError::Invalid(
            "new password: must not be your e-mail address".into(),
        ));
    }
    if current.is_some_and(|c| c == new) {
        return Err(IdentityError::Invalid(
            "new password: must differ from the current password".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_what_is_wrong() {
        let e = |pw: &str, cur: Option<&str>| {
            check_policy(pw, "ops@example.com", cur)
                .unwrap_err()
                .to_string()
        };
        assert!(e("short", None).contains("12"));
        assert!(e("password", None).contains("well-known"));
        assert!(e("OPS@example.com", None).contains("e-mail"));
        assert!(e("Correct-Horse-Battery-9", Some("Correct-Horse-Battery-9")).contains("differ"));
        assert!(check_policy("Correct-Horse-Battery-9", "ops@example.com", Some("old")).is_ok());
    }
}
