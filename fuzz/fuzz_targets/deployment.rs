//! Any bytes as an operator's deployment file (SPEC 6.3) against a policy
//! with classes and zones: never panics, and every unit a loaded file
//! places gets a declared class and declared zones only.
#![no_main]

use hwprov::Policy;
use hwprov::policy::deployment::Deployment;
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;

fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| {
        Policy::parse_with(
            "[policy]\nname = \"f\"\nversion = \"1\"\n\
             [[entities]]\nid = \"a\"\ncountry = \"FI\"\n\
             [[entities]]\nid = \"b\"\ncountry = \"SE\"\n\
             [classes.core]\n[classes.ran]\n[zones.z1]\n[zones.z-2]\n",
            Path::new("fuzz.toml"),
            &|_| Err("no key files".into()),
        )
        .expect("the fuzz policy is valid")
    })
}

fuzz_target!(|data: &[u8]| {
    let p = policy();
    if let Ok(d) = Deployment::parse(data, Path::new("fuzz.csv"), p) {
        for vendor in ["a", "b"] {
            if let Some(placed) = d.placement(vendor, "m", "s") {
                assert!(placed.class.is_some_and(|c| p.classes.contains_key(c)));
                assert!(placed.zones.iter().all(|z| p.zones.contains_key(z)));
            }
        }
    }
});
