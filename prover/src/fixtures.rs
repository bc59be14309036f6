//! Deterministic example inputs: a portfolio, a trade and parameters that pass every check, for
//! tests, benchmarks and the demo. Not for production use.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::config::{CircuitConfig, FORMAT_VERSION, VALUE_SCALE};
use crate::model::Model;
use crate::reference::evaluate;
use crate::risk_params::RiskParams;
use crate::statement::{Binding, Statement, Trade};
use crate::Error;

/// A model, parameters and a statement for one trade.
#[derive(Clone, Debug)]
pub struct Example {
    /// The circuit's shape.
    pub config: CircuitConfig,
    /// The model.
    pub model: Model,
    /// The risk parameters.
    pub params: RiskParams,
    /// The statement.
    pub statement: Statement,
}

impl Example {
    /// Sets the commitments in the statement to those of the model and parameters.
    pub fn recommit(&mut self) -> Result<(), Error> {
        self.statement.model_commitment = self.model.commitment(&self.config)?;
        self.statement.params_commitment = self.params.commitment(&self.config)?;
        Ok(())
    }

    /// An example whose trade passes every check: a diversified portfolio of about $1M per asset
    /// with small debts, a random model, and a score limit one unit above the model's score.
    pub fn passing(config: &CircuitConfig, seed: u64) -> Result<Self, Error> {
        let mut rng = StdRng::seed_from_u64(seed);
        let n = config.n_assets;
        let usd = |dollars: u64| dollars * VALUE_SCALE;
        let holdings: Vec<u64> = (0..n).map(|_| usd(rng.gen_range(800_000..1_200_000))).collect();
        let debts: Vec<u64> = (0..n).map(|_| usd(rng.gen_range(0..100_000))).collect();
        let sell = rng.gen_range(0..n);
        let buy = (sell + rng.gen_range(1..n)) % n;
        let value_in = usd(rng.gen_range(1_000..50_000));
        let value_out = value_in - value_in / 500; // 0.2 % slippage
        let statement = Statement {
            version: FORMAT_VERSION,
            holdings,
            debts,
            trade: Trade { sell_asset: sell as u8, buy_asset: buy as u8, value_in, value_out },
            binding: Binding {
                agent: rng.gen(),
                vault: rng.gen(),
                chain_id: 31_337,
                nonce: rng.gen_range(0..1_000),
                deadline: 1_900_000_000,
            },
            model_commitment: Default::default(),
            params_commitment: Default::default(),
        };
        let mut example = Self {
            config: config.clone(),
            model: Model::random(config, &mut rng),
            params: RiskParams::typical(config),
            statement,
        };
        example.recommit()?;
        let score =
            evaluate(config, &example.model, &example.params, &example.statement)?.metrics.score;
        let score = i64::try_from(score).map_err(|_| Error::ValueOutOfRange("score".into()))?;
        example.params.max_score = score.max(0) + (1 << config.activation_frac_bits);
        example.recommit()?;
        Ok(example)
    }
}
