//! Reading a password for a command: never from argv. `--password-stdin` reads standard input
//! (one trailing newline dropped; empty is an error); otherwise a hidden prompt with
//! confirmation when standard input is a terminal, and a usage error when it is not.

use std::io::{IsTerminal, Read};

use super::Failure;

/// Reads the password as the flags say. `what` names it in prompts and errors.
pub fn read_password(password_stdin: bool, what: &str) -> Result<String, Failure> {
    if password_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| anyhow::anyhow!("cannot read the {what} from standard input: {e}"))?;
        let text = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text);
        if text.is_empty() {
            return Err(anyhow::anyhow!("--password-stdin: standard input was empty").into());
        }
        return Ok(text.to_string());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::config(anyhow::anyhow!(
            "no terminal to prompt for the {what} on: pass --password-stdin and send it on \
             standard input (passwords are never taken from the command line)"
        )));
    }
    let first = rpassword::prompt_password(format!("{what}: "))
        .map_err(|e| anyhow::anyhow!("cannot read the {what}: {e}"))?;
    let again = rpassword::prompt_password(format!("{what} (again): "))
        .map_err(|e| anyhow::anyhow!("cannot read the {what}: {e}"))?;
    if first != again {
        return Err(anyhow::anyhow!("the two {what} entries differ").into());
    }
    if first.is_empty() {
        return Err(anyhow::anyhow!("the {what} is empty").into());
    }
    Ok(first)
}
