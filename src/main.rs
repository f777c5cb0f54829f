//! The `gateway` binary: parse the command line, run it, map the outcome to an exit code
//! (0 success, 1 runtime failure, 2 usage or configuration error).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = gateway::cli::Cli::parse();
    // One TLS crypto provider for the whole process (reqwest and sqlx both use rustls/ring).
    gateway::providers::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(gateway::cli::run(cli));
    // Background loops live on blocking threads and have all stopped by now; never let one
    // that is still retrying a write hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {:#}", failure.error);
            ExitCode::from(failure.code)
        }
    }
}
