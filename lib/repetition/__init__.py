"""repetition: exact repetition rates, bounds and decoding transforms for bigram text generators.

The companion package of the book *Repetition in Text Generation: Reproducible
Derivations*. Every public function names, in its docstring, the equation or
theorem of the book it computes. Modules, one concept each:

========================  =================================================================
``chain``                 :class:`BigramChain` (P validated once, A, support, ζ, components)
``estimate``              bigram counts, the add-δ transition matrix, log-loss, perplexity
``corpus``                the People's Daily and King James Bible loaders, held-out split
``rate``                  the repetition rate R, its terms Tr(A^k), the certified series
``walks``                 exact integer counts of closed walks
``lower_bounds``          lower bounds on Tr(A^k) and the sparsity estimates (Ch. 2-3)
``arp``                   the paper's ARP (terms, whole series), Theorem 1, corollaries
``spectrum``              spectral radius and the eigenvalue upper bounds (Ch. 5)
``frobenius``             row sums and the Frobenius interval (Ch. 6)
``decoding``              greedy, top-k, nucleus, temperature, beam search (Ch. 4)
``expected``              expected visits and expected repeats in generated text (Ch. 8)
``sampling``              sampled chains, text sampled to its end, the Monte Carlo rate
``metrics``               rep-w, rep-r, seq-rep-n (Ch. 7); immediate repeats in text (Ch. 8)
``rebalance``             the rebalanced encoding (Ch. 7)
``perturbation``          the perturbed bigram of general autoregressive decoding (Ch. 9)
``pairs``                 chains on token pairs: trigram models and the lift (Ch. 9)
``random``                random transition matrices of the book's experiments
``reference``             exact references (brute force, exact arithmetic) for checks
``plotting``              the book's matplotlib style
========================  =================================================================

``repetition.reference`` is not imported into this namespace: its functions
are checks, not computations (``from repetition import reference``).
"""

from .arp import (
    PaperCorollaries,
    PaperTheorem1,
    arp_tail_bound,
    arp_terms,
    average_repetition_probability,
    paper_corollaries,
    paper_theorem1,
)
from .chain import (
    ROW_SUM_TOLERANCE,
    BigramChain,
    as_chain,
    as_transition_matrix,
    cyclic_components,
    deterministic_cycle,
    hadamard_square,
    sparsity,
    support,
)
from .corpus import (
    CorpusError,
    corpus_file,
    load_kjv,
    load_peoples_daily,
    split_sentences,
)
from .decoding import beam_search, greedy, temperature, top_k, top_p
from .estimate import (
    BigramCounts,
    LogLoss,
    add_delta,
    bigram_counts,
    cross_entropy,
    perplexity,
    transition_matrix,
)
from .expected import ExpectedRepeats, expected_repeats, expected_visits
from .frobenius import (
    frobenius_interval,
    row_square_sum_floor,
    row_square_sums,
    row_sum_interval,
    row_sums,
)
from .lower_bounds import (
    LowerBoundTable,
    cauchy_schwarz_bound,
    lower_bound_table,
    per_row_bound,
    row_lower_bound,
    zeta_estimate_term,
)
from .metrics import (
    immediate_repeats,
    rep_r,
    rep_w,
    sampled_repeats,
    seq_rep_n,
    seq_rep_pooled,
)
from .pairs import PairChain, lift_to_pairs, split_at_rare_tokens, trigram_pair_chain
from .perturbation import (
    PaperTheorem2,
    PerturbedMoments,
    monte_carlo_perturbed_rate,
    paper_perturbed_arp,
    paper_theorem2,
    perturbation_amplitudes,
    perturbed_chains,
    perturbed_matrices,
    perturbed_rate_moments,
    time_varying_repetition_terms,
)
from .plotting import BOOK_STYLE, use_book_style
from .random import (
    count_decoder,
    dirichlet_decoder,
    random_decoder,
    random_transition_matrix,
)
from .rate import (
    ConditioningWarning,
    SeriesResult,
    repetition_rate,
    repetition_rate_series,
    repetition_terms,
)
from .rebalance import RebalancedEncoding, rebalanced_encoding
from .sampling import (
    END,
    MonteCarloEstimate,
    SampledText,
    monte_carlo_repetition_rate,
    repeat_events,
    sample_chains,
    sample_to_end,
)
from .spectrum import (
    eigen_repetition_rate,
    eigen_upper_bound,
    modulus_upper_bound,
    row_sum_upper_bound,
    spectral_radius,
    strongest_short_cycle,
)
from .walks import closed_walk_count, closed_walk_diagonal

__all__ = [
    # chain
    "BigramChain",
    "as_chain",
    "as_transition_matrix",
    "ROW_SUM_TOLERANCE",
    "hadamard_square",
    "support",
    "sparsity",
    "cyclic_components",
    "deterministic_cycle",
    # estimate, corpus
    "BigramCounts",
    "bigram_counts",
    "add_delta",
    "transition_matrix",
    "CorpusError",
    "corpus_file",
    "load_peoples_daily",
    "load_kjv",
    # rate, walks, lower bounds, arp
    "repetition_rate",
    "repetition_terms",
    "repetition_rate_series",
    "SeriesResult",
    "ConditioningWarning",
    "closed_walk_diagonal",
    "closed_walk_count",
    "cauchy_schwarz_bound",
    "per_row_bound",
    "row_lower_bound",
    "zeta_estimate_term",
    "LowerBoundTable",
    "lower_bound_table",
    "arp_terms",
    "arp_tail_bound",
    "average_repetition_probability",
    "PaperTheorem1",
    "paper_theorem1",
    "PaperCorollaries",
    "paper_corollaries",
    # expected repeats in generated text, perplexity
    "expected_visits",
    "expected_repeats",
    "ExpectedRepeats",
    "immediate_repeats",
    "sampled_repeats",
    "sample_to_end",
    "SampledText",
    "perplexity",
    "cross_entropy",
    "LogLoss",
    "split_sentences",
    # spectrum, frobenius
    "spectral_radius",
    "strongest_short_cycle",
    "eigen_upper_bound",
    "row_sum_upper_bound",
    "modulus_upper_bound",
    "eigen_repetition_rate",
    "row_sums",
    "row_square_sums",
    "row_square_sum_floor",
    "row_sum_interval",
    "frobenius_interval",
    # decoding, sampling, metrics, rebalance
    "greedy",
    "top_k",
    "top_p",
    "temperature",
    "beam_search",
    "END",
    "sample_chains",
    "repeat_events",
    "MonteCarloEstimate",
    "monte_carlo_repetition_rate",
    "rep_w",
    "rep_r",
    "seq_rep_n",
    "seq_rep_pooled",
    "RebalancedEncoding",
    "rebalanced_encoding",
    # perturbation, pairs
    "perturbation_amplitudes",
    "perturbed_matrices",
    "time_varying_repetition_terms",
    "PerturbedMoments",
    "perturbed_rate_moments",
    "perturbed_chains",
    "monte_carlo_perturbed_rate",
    "PaperTheorem2",
    "paper_theorem2",
    "paper_perturbed_arp",
    "PairChain",
    "lift_to_pairs",
    "trigram_pair_chain",
    "split_at_rare_tokens",
    # random, plotting
    "random_transition_matrix",
    "random_decoder",
    "dirichlet_decoder",
    "count_decoder",
    "BOOK_STYLE",
    "use_book_style",
]

__version__ = "0.1.0"
