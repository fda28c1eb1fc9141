"""repetition: exact repetition rates, bounds and decoding transforms for bigram text generators.

The companion package of the book *Repetition in Text Generation: Reproducible
Derivations*. Every public function names, in its docstring, the equation or
theorem of the book it computes.
"""

from ._validation import ROW_SUM_TOLERANCE, as_transition_matrix
from .autoregressive import PairChain, PaperCorollaries, PaperTheorem1, PerturbedMoments, lift_to_pairs, monte_carlo_perturbed_rate, paper_corollaries, paper_theorem1, perturbation_amplitudes, perturbed_chains, perturbed_matrices, perturbed_rate_moments, split_at_rare_tokens, time_varying_repetition_terms, trigram_pair_chain
from .bounds import LowerBoundTable, cauchy_schwarz_bound, closed_walk_count, closed_walk_diagonal, lower_bound_table, paper_lower_bound_term, per_row_bound, random_transition_matrix, row_lower_bound, zeta_estimate_term
from .corpus import BigramCounts, CorpusError, bigram_counts, corpus_file, load_kjv, load_peoples_daily
from .decoding import beam_search, greedy, temperature, top_k, top_p
from .frobenius import arp_tail_bound, arp_terms, frobenius_interval, row_square_sum_floor, row_square_sums, row_sum_interval, row_sums
from .graph import cyclic_components, deterministic_cycle
from .metrics import rep_r, rep_w, seq_rep_n, seq_rep_pooled
from .model import hadamard_square, sparsity, support, transition_matrix
from .rebalance import RebalancedEncoding, rebalanced_encoding
from .rate import ConditioningWarning, repetition_rate, repetition_terms
from .sampling import END, MonteCarloEstimate, monte_carlo_repetition_rate, repeat_events, sample_chains
from .spectrum import (
    SeriesResult,
    eigen_repetition_rate,
    eigen_upper_bound,
    modulus_upper_bound,
    repetition_rate_series,
    row_sum_upper_bound,
    spectral_radius,
)

__version__ = "0.1.0"
