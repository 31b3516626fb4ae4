//! Splits every bundle in corpus/bundle into corpus/envelope (tagged COSE
//! messages) and corpus/statement (payloads).
use hwprov::wire::envelope::Envelope;
use hwprov::{Limits, Sha256};
use std::path::Path;

fn main() -> std::io::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "corpus".into());
    let dir = Path::new(&dir);
    for e in std::fs::read_dir(dir.join("bundle"))? {
        let bytes = std::fs::read(e?.path())?;
        let Ok(parts) = hwprov::wire::bundle::split(&bytes, &Limits::DEFAULT) else { continue };
        for p in parts {
            let name = Sha256::of(p).hex();
            std::fs::write(dir.join("envelope").join(&name), p)?;
            if let Ok(env) = Envelope::decode(p, 16) {
                std::fs::write(dir.join("statement").join(&name), &env.payload)?;
            }
        }
    }
    Ok(())
}
