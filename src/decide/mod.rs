//! Decisions (SPEC sections 6 to 9): a bundle's statements checked and
//! evaluated against a policy (`verify`), one image against one device's
//! state (`gate`), and a shipment of units (`vet`).

pub mod cache;
pub mod cases;
pub mod check;
mod device;
pub mod evidence;
mod firmware;
pub mod fleet;
pub mod gate;
pub mod image;
mod levels;
mod phaseout;
pub mod safe;
pub mod transparency;
pub mod verify;
pub mod vet;

pub use firmware::authorised_firmware_signers;
