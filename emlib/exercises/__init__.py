"""Checks for the notebooks' "write it yourself" exercises: run your function, get a verdict.

    check_sample(my_sample)                  01: draw X (n, d) and z (n,) from a mixture
    check_e_step(my_e_step)                  02: responsibilities gamma (n, k)
    check_log_likelihood(my_log_likelihood)  02: log p(X | theta), a float
    check_m_step_1d(my_m_step_1d)            03: weights, means, variances of 1-D data
    check_m_step(my_m_step)                  03: weights, means, covariances from gamma
    check_em_iteration(my_em_iteration)      04: one E-step and one M-step
    check_em_loop(my_em_loop)                04: the whole loop, with the per-point stopping rule
    check_match(my_match)                    05: label switching: the order (k,) matching whole components
    check_bic(my_bic)                        07: -2 log p(X | theta) + p log n
    check_assign(my_assign)                  09: k-means' labels z (n,), the nearest centres
    check_update_means(my_update_means)      09: k-means' centres (k, d), the means of their points
    check_inertia(my_inertia)                09: k-means' objective J, a float
    check_elongation(my_elongation)          09: each cluster's long over short standard deviation
    check_bernoulli_e_step(my_bernoulli_e_step)  10: gamma (n, k) of a mixture of Bernoullis
    check_bernoulli_m_step(my_bernoulli_m_step)  10: weights, probabilities with a Beta(a, b) prior
    check_n_parameters(my_n_parameters)      11: free parameters of each covariance structure
    check_covariances(my_covariances)        11: the M-step's covariances of each structure (k, d, d)
    check_map_update(my_map_update)          12: the MAP M-step of one component, mu_j and Sigma_j
    check_class_posterior(my_class_posterior)  13: P(c | x_i) (n, C), one mixture per class

Your functions take and return plain numpy arrays (weights (k,), means (k, d), covariances
(k, d, d), X (n, d)), not emlib.GMM.  Each check runs your function on a few cases, from easy
to hard (identity covariances first, then rotated and stretched ones, then points far from every
component), compares it with emlib's own implementation, and prints which case fails, the entry
that differs most (expected and got, to enough decimals to tell them apart) and a hint when the
result looks like a mistake it knows.  It returns True when every case passes, False otherwise.

A float64 answer must agree tightly; one that agrees only to float32 precision passes with a
note.  A function that changes its inputs in place passes on its values, with a note.  A function
(or a helper it calls) that still raises NotImplementedError gets "not implemented yet"; one that
raises any other exception gets a verdict naming the exception, the case and the line of your
code that raised, without a traceback.

One module per lesson (sampling, e_step, m_step, em_iteration, matching, bic, kmeans, bernoulli,
covariance_structures, map_update, classify); what they share is in `checking` (running,
comparing, recognising mistakes, printing) and `cases` (the mixtures tried).
"""
from .bernoulli import check_bernoulli_e_step, check_bernoulli_m_step
from .bic import check_bic
from .classify import check_class_posterior
from .covariance_structures import check_covariances, check_n_parameters
from .e_step import check_e_step, check_log_likelihood
from .em_iteration import check_em_iteration, check_em_loop
from .kmeans import check_assign, check_elongation, check_inertia, check_update_means
from .map_update import check_map_update
from .m_step import check_m_step, check_m_step_1d
from .matching import check_match
from .sampling import check_sample

__all__ = ["check_sample", "check_e_step", "check_log_likelihood", "check_m_step_1d", "check_m_step",
           "check_em_iteration", "check_em_loop", "check_match", "check_bic", "check_assign",
           "check_update_means", "check_inertia", "check_elongation", "check_bernoulli_e_step",
           "check_bernoulli_m_step", "check_n_parameters", "check_covariances", "check_map_update",
           "check_class_posterior"]
