"""One job: a module, its traced roots and the findings about them, judged.

``Job.run`` imports the module, builds a ``Plan`` for every root (examples,
input signatures or probes; Keras models and tf.data pipelines driven by
their own APIs), calls it in graph mode and eagerly, and gives each finding
a verdict with evidence. A root that stops at a confirmed finding is traced
again past it, with a stand-in (``standins``). Findings whose evidence needs
more than line counts are judged by their family's module: ``side_effects``
(TFF1xx), ``retracing`` (TFF4xx). TensorFlow is imported inside the methods
that use it, after the worker has set its memory limit.
"""

from __future__ import annotations

import ast
import inspect
import logging
import os

from tflint_fn.dynamic.errors import (
    FRAME,
    describe_exception,
    error_location,
    error_locations,
)
from tflint_fn.dynamic.inputs import (
    ConstructorError,
    ExampleError,
    Inputs,
    call_example,
    concrete_value,
    construct,
    probe_candidates,
    required_parameters,
)
from tflint_fn.dynamic.linecount import LineCounter, LogCapture
from tflint_fn.dynamic.loader import Loader
from tflint_fn.dynamic.plans import (
    CALLS,
    Phase,
    Plan,
    Skip,
    attribute_path,
    captured,
    is_tf_function,
    quiet,
    run_eagerly,
    times_text,
    wrapping_function,
)
from tflint_fn.dynamic.retracing import judge_call_site_retracing, judge_retracing_root
from tflint_fn.dynamic.side_effects import (
    compiled_call,
    effect_note,
    judge_frozen_global,
    numpy_generator,
    rng_state,
    unobservable_call,
)
from tflint_fn.dynamic.standins import neutralizer
from tflint_fn.dynamic.toplevel import wanted_names


class Job:
    def __init__(self, job: dict, loader: Loader, examples: dict) -> None:
        self.job = job
        self.loader = loader
        self.examples = examples
        self.name = job["module"]
        self.path = os.path.abspath(job["path"])
        self.findings = job["findings"]
        self.results: dict[str, dict] = {}
        self.new: list[dict] = []
        self.module = None
        self.overlay: str | None = None  # the edited source being traced, if any
        self.used = False  # has a root run in the loaded module yet?
        self._lines: dict[str, list[str]] = {}
        self.base: list[dict] = []  # findings replaced for the whole module (they broke its import)
        self.generators: dict[str, object] = {}  # TFF104 finding id -> the NumPy generator it draws from
        self.made: dict[str, str] = {}  # class -> how the checker made its instance (type hints)
        loader.wanted = wanted_names(job)  # a script's top level runs only as far as these need (toplevel)

    # -- entry point

    def run(self) -> dict:
        separate_autograph_conversions()
        for _ in range(4):
            try:
                self.module = self.loader.load(self.name, self.path, self._overlay([]) if self.base else None)
                break
            except BaseException as error:  # the user's import: SystemExit included
                if not self._import_failed(error):
                    return self._result()
        else:
            return self._result()
        subjects: dict[tuple, list] = {}
        for subject in self.job["subjects"]:
            subjects.setdefault((subject["qualname"], None), [])
        for finding in self.findings:
            # Varying a parameter between calls is how TFF401/TFF405 are shown; any
            # other finding about a parameter (a mutated default) is judged on its root.
            parameter = finding["subject"].get("parameter") if finding["code"] in ("TFF401", "TFF405") else None
            subjects.setdefault((finding["subject"]["qualname"], parameter), []).append(finding)
        by_qualname = {s["qualname"]: s for s in self.job["subjects"]}
        for finding in self.findings:
            by_qualname.setdefault(finding["subject"]["qualname"], finding["subject"])
        for (qualname, parameter), findings in subjects.items():
            subject = by_qualname[qualname]
            try:
                if parameter is not None:
                    judge_call_site_retracing(self, subject, parameter, findings)
                else:
                    self._root(subject, findings)
            except Skip as why:
                for finding in findings:
                    self._set(finding, "skipped", str(why))
            except ExampleError as error:
                for finding in findings:
                    self._set(finding, "error", str(error))
            except BaseException as error:  # a bug in user code outside any call we guard
                for finding in findings:
                    self._set(finding, "error", f"{describe_exception(error)} while preparing `{qualname}`")
        return self._result()

    def _result(self) -> dict:
        not_run = self.loader.not_run.get(self.path)
        if not_run:
            for record in [*self.results.values(), *self.new]:
                record["evidence"] += f"; top-level statements not run: {not_run}"
        return {"module": self.name, "results": self.results, "new": self.new}

    def _set(self, finding: dict, status: str, evidence: str) -> None:
        self.results.setdefault(str(finding["id"]), {"status": status, "evidence": evidence})

    def _import_failed(self, error: BaseException) -> bool:
        """Confirm the findings the import error proves; True to retry with them replaced."""
        blamed, where = self._blame(error, self.findings)
        text = describe_exception(error)
        if blamed and isinstance(error, Exception):
            for finding in blamed:
                self._set(finding, "confirmed", f"importing `{self.name}` raises {text} (at {self._show(where)})")
            self.base.extend(blamed)
            if self._overlay([]) is not None:
                return True
        at = f" at {self._show(where)}" if where else ""
        for finding in self.findings:
            self._set(finding, "error", f"importing `{self.name}` failed{at}: {text}")
        return False

    def _blame(self, error: BaseException, findings: list, done: list = (), named: list | None = None):
        """The findings ``error`` proves (at their line, else by ``named``'s message), and where it was raised."""
        candidates = error_locations(error, self.loader.is_user_file)
        where = candidates[0] if candidates else None
        blamed = [f for f in findings if any(self._at(f, c) for c in candidates) and f not in done]
        if not blamed:
            blamed = [f for f in (findings if named is None else named) if f not in done and self._named_by(f, error)]
            candidates = [(os.path.abspath(f["path"]), f["line"]) for f in blamed] + candidates
        if blamed:
            where = next(c for c in candidates if any(self._at(f, c) for f in blamed))
        return blamed, where

    def _named_by(self, finding: dict, error: BaseException) -> bool:
        """Does TensorFlow's message name this finding's problem, when no line matches?

        AutoGraph reports a tensor `if` or loop at its first line, and some
        errors come from tf.function itself, with no line of the user's.
        """
        message = str(error)
        code = finding["code"]
        if code in ("TFF302", "TFF303"):
            name = self._source_span(finding).strip()
            return name.isidentifier() and f"'{name}'" in message
        if code == "TFF107":
            files = {os.path.abspath(path) for path, _ in FRAME.findall(message)}
            return "RecursionError" in describe_exception(error) and os.path.abspath(finding["path"]) in files
        patterns = {
            "TFF304": "generator",
            "TFF403": "input_signature",
            "TFF404": "should not modify its Python input arguments",
            "TFF307": "object has no attribute '",
        }
        return code in patterns and patterns[code] in message

    # -- helpers

    def _show(self, where) -> str:
        path, line = where
        return f"{os.path.relpath(path)}:{line}"

    @staticmethod
    def _at(finding: dict, where) -> bool:
        path, line = where
        return os.path.abspath(finding["path"]) == os.path.abspath(path) and finding["line"] <= line <= finding["end_line"]

    def _example(self, key: str, module) -> Inputs | None:
        for name in self.job.get("example_names") or [self.name]:
            factory = self.examples.get(f"{name}:{key}")
            if factory is not None:
                return call_example(factory, module, f"{name}:{key}")
        return None

    # -- building a plan

    def _plan(self, module, subject: dict) -> Plan:
        qualname = subject["qualname"]
        if "<locals>" in qualname:
            return self._nested_plan(module, subject)
        if subject["kind"] == "keras":
            return self._keras_plan(module, subject)
        function, instance, target = self._resolve(module, subject)
        if subject["kind"] == "tf.data":
            return self._dataset_plan(module, subject, target)
        inputs = self._inputs(module, subject, function, instance)
        made = self.made.get(subject.get("class_qualname") or "")
        if made:
            inputs.note += f"; an instance {made}"
        return self._function_plan(inputs)

    def _function_plan(self, inputs: Inputs) -> Plan:
        import tensorflow as tf

        # The probes may have re-imported the module: use the function that worked.
        function = inputs.function

        def graph_setup():
            # A probe traces with unknown dimensions, as a batch from tf.data or Keras
            # would; the calls with concrete values then reuse that trace.
            if inputs.specs is not None:
                function.get_concrete_function(*inputs.specs)

        def graph_call(i):
            return function(*i.args, **i.kwargs)

        def eager_call(i):
            tf.config.run_functions_eagerly(True)
            try:
                return function(*i.args, **i.kwargs)
            finally:
                tf.config.run_functions_eagerly(False)

        return Plan(inputs, "calls", graph_setup, graph_call, eager_call, function, function.python_function)

    def _nested_plan(self, module, subject: dict) -> Plan:
        """A function defined inside another, reached through a call of the enclosing function.

        The enclosing function is called with its example, else with probes.
        If it returns the nested tf.function (a factory), that function is
        traced with its own inputs; otherwise every call of the enclosing
        function is one call (it calls the nested function itself).
        """
        qualname = subject["qualname"]
        outer = qualname.split(".<locals>", 1)[0]

        def enclosing(module):
            try:
                function = attribute_path(module, outer)
                owner = attribute_path(module, outer.rsplit(".", 1)[0]) if "." in outer else None
            except AttributeError:
                raise Skip(f"`{qualname}` is defined inside `{outer}`, which is not an attribute of module "
                           f"`{self.name}` after import") from None
            if isinstance(owner, type) and inspect.isfunction(inspect.getattr_static(owner, function.__name__, None)):
                # A method: called on an instance (its example's, else one made from defaults or type hints).
                example = self._example(outer, module) or self._example(owner.__qualname__, module)
                instance = example.instance if example is not None and example.instance is not None else None
                return getattr(instance if instance is not None else self._construct(module, owner.__qualname__),
                               function.__name__)
            return function

        driver = enclosing(module)
        example = self._example(outer, module)
        if example is not None:
            candidates = [(example.args, example.kwargs, example.note)]
        else:
            names = required_parameters(driver)
            candidates = [(values, {}, note) for values, note in probe_candidates(names, driver)]
        failures = []
        for args, kwargs, note in candidates:
            if failures:  # a failed attempt may have left state behind
                self.module = module = self.loader.load(self.name, self.path, self.overlay)
                driver = enclosing(module)
            try:
                with quiet():
                    if example is not None:
                        result = driver(*args, **kwargs)
                    else:  # a probe must be an input the code accepts: it runs eagerly
                        result = run_eagerly(lambda args=args, kwargs=kwargs: driver(*args, **kwargs))
            except Exception as error:
                if example is None:
                    failures.append(describe_exception(error))
                    continue
                # The declared input: what fails is for the calls to show (tracing errors are evidence).
                result = None
            built = _built_function(result, qualname)
            shown = f"`{outer}` called with {'no arguments' if note == 'probe with no arguments' else note}"
            made = self.made.get(outer.rsplit(".", 1)[0]) if "." in outer else None
            shown += f" on an instance {made}" if made else ""
            if built is not None:

                def rebuild(_module, args=args, kwargs=kwargs):
                    self.module = fresh = self.loader.load(self.name, self.path, self.overlay)
                    with quiet():
                        return _built_function(enclosing(fresh)(*args, **kwargs), qualname), None

                inputs = self._inputs(module, subject, built, None, rebuild)
                inputs.note += f"; the function built by {shown}"
                return self._function_plan(inputs)
            # The enclosing function calls it: start again from a fresh module, so
            # that this first call leaves nothing behind (a cached function, a trace).
            self.module = module = self.loader.load(self.name, self.path, self.overlay)
            driver = enclosing(module)

            def call(i, driver=driver):
                return driver(*i.args, **i.kwargs)

            inputs = Inputs(tuple(args), dict(kwargs), shown)
            return Plan(inputs, f"calls of `{outer}`", lambda: None, call, lambda i: run_eagerly(lambda: call(i)))
        raise Skip(
            f"`{qualname}` is defined inside `{outer}`, which fails with every input tried "
            f"({_failures_text(failures)}); declare an example for `{self.name}:{outer}`"
        )

    def _resolve(self, module, subject: dict):
        """The tf.function (or tf.data function) of ``subject`` in ``module``, and its instance."""
        import tensorflow as tf

        qualname = subject["qualname"]
        try:
            target = attribute_path(module, qualname)
        except AttributeError:
            raise Skip(f"`{qualname}` is not an attribute of module `{self.name}` after import") from None
        instance = None
        if subject.get("class_qualname"):
            self.made.pop(subject["class_qualname"], None)
            inputs = self._example(qualname, module) or self._example(subject["class_qualname"], module)
            instance = inputs.instance if inputs is not None and inputs.instance is not None else None
            if instance is None:
                instance = self._construct(module, subject["class_qualname"])
            target = getattr(instance, qualname.rsplit(".", 1)[-1])
        if subject["kind"] == "tf.data":
            return None, instance, target
        function = target if is_tf_function(target) else wrapping_function(module, target)
        if function is None:
            # Traced by a wrapper the module does not keep (``tf.function(f)(x)``).
            function = tf.function(target, autograph=subject.get("autograph", True))
        return function, instance, target

    def _construct(self, module, class_qualname: str):
        """An instance of the class, from its defaults or type hints (see ``construct``)."""
        self.made.pop(class_qualname, None)
        cls = attribute_path(module, class_qualname)
        try:
            instance, made = construct(cls)
        except ConstructorError as error:
            raise Skip(f"needs an example: {error}; declare `{self.name}:{class_qualname}` returning "
                       f"{{'instance': ..., 'args': (...)}}") from None
        if made:
            self.made[class_qualname] = made
        return instance

    def _inputs(self, module, subject, function, instance, resolve=None) -> Inputs:
        """Inputs for ``function``: its example, its input_signature, else the first probe that runs eagerly.

        ``resolve(module)`` gives the function (and instance) again after a
        failed probe, from a fresh module; by default, by name.
        """
        import tensorflow as tf

        example = self._example(subject["qualname"], module)
        if example is not None:
            example.function = function
            example.instance = example.instance or instance
            return example
        signature = getattr(function, "input_signature", None)
        if signature:
            values = tf.nest.map_structure(concrete_value, tuple(signature))
            return Inputs(tuple(values), {}, "input_signature", instance, function)
        python_function = function.python_function
        names = required_parameters(python_function)
        failures = []
        for values, note in probe_candidates(names, python_function):
            if failures:
                # A failed attempt may have left state behind (a Keras layer built for the wrong shape).
                if resolve is None:
                    self.module = module = self.loader.load(self.name, self.path, self.overlay)
                    function, instance, _ = self._resolve(module, subject)
                else:
                    function, instance = resolve(module)
                    module = self.module
            try:
                with quiet():
                    run_eagerly(lambda function=function, values=values: function(*values))
                specs = tuple(tf.TensorSpec([None] * v.shape.rank, v.dtype) if tf.is_tensor(v) else v for v in values)
                return Inputs(values, {}, note, instance, function, specs)
            except Exception as error:
                failures.append(describe_exception(error))
        raise Skip(
            f"needs an example: none of the {len(failures)} generated probes runs eagerly "
            f"({_failures_text(failures)}); declare one for `{self.name}:{subject['qualname']}`"
        )

    def _dataset_plan(self, module, subject, target) -> Plan:
        import tensorflow as tf

        example = self._example(subject["qualname"], module)
        candidates = [(example.args, example.note)] if example is not None else list(
            probe_candidates(required_parameters(target), target)
        )
        failures = []
        for values, note in candidates:
            try:
                with quiet():
                    target(*values)
                break
            except Exception as error:
                failures.append(describe_exception(error))
        else:
            raise Skip(
                f"needs an example: the function fails eagerly with every input tried ({_failures_text(failures)}); "
                f"declare one for `{self.name}:{subject['qualname']}`"
            )
        element = values[0] if len(values) == 1 else tuple(values)
        state = {}

        def setup():
            # tf.data traces the function here, once, when the pipeline is built.
            state["dataset"] = tf.data.Dataset.from_tensors(element).map(target)

        def graph_call(i):
            return [item for item in state["dataset"]]

        return Plan(Inputs(tuple(values), {}, note), "passes over the dataset", setup, graph_call,
                    lambda i: target(*i.args))

    def _keras_plan(self, module, subject) -> Plan:
        import tensorflow as tf

        class_qualname = subject.get("class_qualname") or subject["qualname"].rsplit(".", 1)[0]
        method = subject["qualname"].rsplit(".", 1)[-1]
        example = self._example(subject["qualname"], module) or self._example(class_qualname, module)
        self.made.pop(class_qualname, None)
        if example is not None and example.instance is not None:
            instance = example.instance
        else:
            instance = self._construct(module, class_qualname)
        if example is not None and example.args:
            candidates = [(example.args, example.note)]
        else:
            candidates = [((tf.fill(shape, 0.5),), f"probe inputs of shape {shape}") for shape in ([4, 16], [4, 8], [4, 4, 16])]
        failures = []
        for args, note in candidates:
            try:
                with quiet():
                    output = instance(*args)  # eager; also builds the weights
                break
            except Exception as error:
                failures.append(describe_exception(error))
        else:
            raise Skip(f"needs an example: calling `{class_qualname}` eagerly fails with every input tried "
                       f"({_failures_text(failures)}); declare `{self.name}:{class_qualname}` returning "
                       f"{{'instance': ..., 'args': (...)}}")
        made = self.made.get(class_qualname)
        inputs = Inputs(tuple(args), {}, note + (f"; an instance {made}" if made else ""), instance)
        if method == "call":
            traced = tf.function(lambda *a: instance(*a), autograph=False)
            return Plan(inputs, "calls", lambda: None, lambda i: traced(*i.args), lambda i: instance(*i.args))
        if method not in ("train_step", "test_step", "predict_step"):
            raise Skip(f"`{method}` of a Keras class is traced by Keras code this checker does not drive")
        if not hasattr(instance, "compile"):
            raise Skip(f"`{class_qualname}` is not a Model: `{method}` needs fit/evaluate/predict")
        x = args[0]
        y = tf.zeros_like(tf.convert_to_tensor(output)) if not isinstance(output, (dict, list, tuple)) else None
        batch = int(x.shape[0]) if x.shape.rank else 1
        # One batch per call; as in real training, the batch dimension is unknown while tracing.
        data = tf.data.Dataset.from_tensor_slices((x, y) if y is not None else x).batch(batch)

        def runner(eager):
            def call(i):
                if getattr(instance, "_tflint_fn_eager", None) is not eager:
                    instance.compile(optimizer="sgd", loss="mse", run_eagerly=eager, jit_compile=False)
                    instance._tflint_fn_eager = eager
                if method == "train_step":
                    return instance.fit(data, epochs=1, verbose=0).history
                if method == "test_step":
                    return instance.evaluate(data, verbose=0)
                return instance.predict(data, verbose=0)
            return call

        unit = {"train_step": "training steps", "test_step": "evaluation steps", "predict_step": "prediction steps"}[method]
        return Plan(inputs, unit, lambda: None, runner(False), runner(True))

    # -- running

    def _phase(self, plan: Plan, eager: bool, calls: int = CALLS, vary=None) -> Phase:
        phase = Phase()
        watched = list({id(g): g for g in self.generators.values()}.values())
        states = {id(g): rng_state(g) for g in watched}

        def step():  # which watched generators drew since the last step
            for generator in watched:
                state = rng_state(generator)
                if state != states[id(generator)]:
                    phase.draws[id(generator)] += 1
                    states[id(generator)] = state

        capture = LogCapture()
        logger = logging.getLogger("tensorflow")
        logger.addHandler(capture)
        before = plan.function.experimental_get_tracing_count() if plan.function is not None and not eager else None
        try:
            with LineCounter(self.loader.is_user_file) as counter:
                if not eager:
                    try:
                        with captured(phase):
                            plan.graph_setup()
                    except BaseException as error:
                        if not isinstance(error, Exception) and not isinstance(error, SystemExit):
                            raise
                        phase.errors.append((0, error))
                        return phase
                    step()
                for index in range(calls):
                    inputs = vary(index) if vary is not None else plan.inputs
                    phase.calls += 1
                    try:
                        with captured(phase):
                            value = (plan.eager_call if eager else plan.graph_call)(inputs)
                        phase.outputs.append(value)
                    except (Exception, SystemExit) as error:
                        phase.errors.append((index, error))
                    step()
            phase.counts = counter.counts
            phase.call_counts = counter.calls
        finally:
            logger.removeHandler(capture)
            phase.logs = capture.messages
        if before is not None:
            phase.traces = plan.function.experimental_get_tracing_count() - before
        return phase

    # -- a traced root and the findings about it

    def _root(self, subject: dict, findings: list) -> None:
        neutralized: list[tuple[dict, str]] = []  # (finding, its confirmed evidence)
        original_failure = None
        for attempt in range(6):
            if attempt:
                overlay = self._overlay([f for f, _ in neutralized])
                if overlay is None:
                    break
                try:
                    self.overlay = overlay
                    self.module = self.loader.load(self.name, self.path, overlay)
                except BaseException:
                    break
            elif self.overlay is not None or self.used:
                self.overlay = self._overlay([]) if self.base else None
                self.module = self.loader.load(self.name, self.path, self.overlay)
            self.used = True
            with quiet():
                plan = self._plan(self.module, subject)
                self.generators = {
                    str(f["id"]): g for f in findings if f["code"] == "TFF104"
                    for g in [numpy_generator(self, f, plan.inputs.instance)] if g is not None
                }
                graph = self._phase(plan, eager=False)
            if not graph.errors:
                break
            error = graph.errors[0][1]
            # A root can stop at another root's finding (a pipeline built by a driver).
            eligible = [f for f in self.findings if f in findings or f["path"] == self.path]
            blamed, where = self._blame(error, eligible, [n for n, _ in neutralized], named=findings)
            if blamed and where is None:
                where = (os.path.abspath(blamed[0]["path"]), blamed[0]["line"])
            if attempt == 0:
                original_failure = (error, where)
            if not blamed:
                break
            text = f"{describe_exception(error)} (at {self._show(where)}, while tracing with {plan.inputs.note}"
            if neutralized:
                text += f"; line {', '.join(str(f['line']) for f, _ in neutralized)} replaced by a stand-in to get here"
            text += ")"
            text += self._warnings(graph, "could not transform")
            for finding in blamed:
                self._set(finding, "confirmed", text)
                neutralized.append((finding, text))
            if not all(neutralizer(f, self._source_span(f)) for f in blamed):
                break
        after = f"; line {', '.join(str(f['line']) for f, _ in neutralized)} replaced by a stand-in" if neutralized else ""
        eager = None
        if not graph.errors:
            with quiet():
                eager = self._phase(plan, eager=True)
        self.loader.restore(self.path)
        module = self.module
        # Only with inputs the function is meant to take: a generated probe can be
        # a tensor where the code expects a Python value (recursion on an int).
        if original_failure is not None and not neutralized and not plan.inputs.note.startswith("probe"):
            self._fails_to_trace(subject, plan, original_failure, findings)
        for finding in findings:
            if str(finding["id"]) in self.results:
                continue
            self._judge(finding, plan, graph, eager, after, module)

    def _fails_to_trace(self, subject, plan, failure, findings) -> None:
        """TFF900: a root that fails in graph mode but runs eagerly, at a line no rule flagged."""
        error, where = failure
        if where is None or any(self._at(f, where) for f in findings):
            return
        if any(f["code"] == "TFF305" and _same_file(f["path"], where[0]) and f["line"] > where[1] for f in findings):
            return  # an op error escaping a flagged `except tf.errors...`: TFF305 explains it
        try:
            with quiet(), LineCounter(self.loader.is_user_file) as counter:
                plan.eager_call(plan.inputs)
        except Exception:
            return  # fails eagerly too: the input, not tracing, is the problem
        if not counter.counts[(os.path.abspath(where[0]), where[1])]:
            return  # eagerly that line did not run (a branch not taken): no proof it works
        evidence = (
            f"{describe_exception(error)} (at {self._show(where)}, while tracing with {plan.inputs.note}; "
            f"the same call runs eagerly)"
        )
        self.new.append({
            "path": where[0], "line": where[1], "qualname": subject["qualname"], "kind": subject["kind"],
            "root_path": subject["path"], "root_line": subject["line"],
            "message": f"tracing `{subject['qualname']}` raises {describe_exception(error)}, although it runs eagerly",
            "evidence": evidence,
        })

    def _judge(self, finding, plan, graph: Phase, eager: Phase | None, after: str, module) -> None:
        code = finding["code"]
        if graph.errors:
            error = graph.errors[0][1]
            where = error_location(error, self.loader.is_user_file)
            at = f" at {self._show(where)}" if where else ""
            if code == "TFF305" and where and _same_file(where[0], finding["path"]):
                try:
                    with quiet():
                        plan.eager_call(plan.inputs)
                except Exception:
                    pass
                else:
                    self._set(finding, "confirmed", f"traced, {describe_exception(error)} escaped{at}, past the "
                                                    f"`except` at line {finding['line']}; run eagerly, the same call "
                                                    f"returned normally (with {plan.inputs.note}{after})")
                    return
            key = (os.path.abspath(finding["path"]), finding["line"])
            if graph.counts[key]:
                self._set(finding, "skipped", f"cannot tell once per trace from once per call: every call fails{at} "
                                              f"with {describe_exception(error)}{after}")
            else:
                self._set(finding, "skipped", f"not reached: tracing stopped{at} with {describe_exception(error)}{after}")
            return
        key = (os.path.abspath(finding["path"]), finding["line"])
        line_ran, line_ran_eagerly = graph.counts[key], eager.counts[key] if eager else 0
        ran, ran_eagerly = line_ran, line_ran_eagerly
        callee = _callee_name(self._source_span(finding))
        generator = self.generators.get(str(finding["id"]))
        # A call to compiled code (NumPy's Cython functions) raises no profiling event: its line's runs count.
        compiled = callee is not None and generator is None and code == "TFF104" and compiled_call(
            self, finding, plan.inputs.instance)
        if callee is not None and generator is None and not compiled:
            # A call: what matters is the Python call the line makes, not the line
            # (a `tf.print` line also runs once per trace, but prints on every call).
            ran, ran_eagerly = graph.call_counts[key + (callee,)], eager.call_counts[key + (callee,)] if eager else 0
        how = f" (with {plan.inputs.note}{after})"
        if code == "TFF106":
            judge_frozen_global(self, finding, plan, how, graph)
            return
        if code.startswith("TFF1") and code not in ("TFF105", "TFF107"):
            if compiled:
                how = f"; `{callee}` is compiled code that no profiling event shows: the line's runs are counted{how}"
            self._judge_trace_time_effect(finding, plan, graph, eager, how, (ran, ran_eagerly),
                                          (line_ran, line_ran_eagerly), callee, generator)
            return
        if code.startswith("TFF4"):
            judge_retracing_root(self, finding, plan, graph, how)
            return
        if ran == 0:
            self._set(finding, "not-reproduced", f"line {finding['line']} never ran while tracing{how}")
        else:
            self._set(finding, "not-reproduced", f"traced without error; line {finding['line']} ran {times_text(ran)}{how}")

    def _judge_trace_time_effect(self, finding, plan, graph: Phase, eager: Phase, how: str, counts, line_counts,
                                 callee, generator) -> None:
        """TFF1xx: confirmed only on the rule's pattern, fewer runs traced than eagerly, and at least one.

        A line (or call) that never ran under tracing proves nothing about
        tracing: its code may run where it is not traced (a ``tf.py_function``
        body runs when the graph runs), or not at all.
        """
        ran, ran_eagerly = counts
        calls = graph.calls
        label = self._label(finding)
        summary = f"{label} ran {times_text(ran)} for {calls} {plan.unit}, {times_text(ran_eagerly)} when run eagerly"
        traces = graph.traces
        if traces is not None:
            summary += f", in {times_text(traces).replace('time', 'trace')}"
        # Once per trace: no more runs per trace while traced than per call eagerly.
        per_trace = traces is None or ran * calls <= traces * ran_eagerly
        if generator is not None:
            drew, drew_eagerly = graph.draws[id(generator)], eager.draws[id(generator)]
            summary += (f"; NumPy's generator drew {times_text(drew)} while tracing and calling, "
                        f"{times_text(drew_eagerly)} eagerly")
            if drew_eagerly and drew >= drew_eagerly:
                self._set(finding, "not-reproduced", summary + how)
                return
        summary += effect_note(self, finding, graph, self.module, plan)
        if ran == 0 and ran_eagerly == 0:
            line_ran, line_ran_eagerly = line_counts
            if callee is not None and line_ran and line_ran_eagerly and unobservable_call(self, finding):
                self._set(finding, "skipped", f"line {finding['line']} ran {times_text(line_ran)} for {calls} "
                                              f"{plan.unit} and {times_text(line_ran_eagerly)} eagerly, but its call "
                                              f"to `{callee}` is made on a value the line computes and raises no "
                                              f"event the checker can count{how}")
                return
            what = f"made no Python call to `{callee}`" if callee else "never ran"
            self._set(finding, "not-reproduced", f"line {finding['line']} {what} in either mode{how}")
        elif ran == 0:
            self._set(finding, "skipped", f"{label} ran {times_text(ran_eagerly)} when run eagerly but was not seen "
                                          f"running while tracing or calling the graph (0 times for {calls} "
                                          f"{plan.unit}): no trace-time run to compare{how}")
        elif ran < ran_eagerly and per_trace:
            self._set(finding, "confirmed", summary + how)
        elif ran < ran_eagerly:
            self._set(finding, "not-reproduced", summary + f": more runs than once per trace{how}")
        else:
            self._set(finding, "not-reproduced", summary + how)

    # -- evidence details

    def _original_lines(self, path: str) -> list[str]:
        """The file as it is on disk (linecache may hold an edited copy)."""
        if path not in self._lines:
            try:
                with open(path, encoding="utf-8") as handle:
                    self._lines[path] = handle.read().splitlines(keepends=True)
            except (OSError, UnicodeDecodeError):
                self._lines[path] = []
        return self._lines[path]

    def _source_span(self, finding) -> str:
        lines = self._original_lines(finding["path"])
        start, end = finding["line"], finding["end_line"]
        if not lines or end > len(lines):
            return ""
        if start == end:
            return lines[start - 1][finding["column"] - 1:finding["end_column"] - 1]
        text = lines[start - 1][finding["column"] - 1:] + "".join(lines[start:end - 1])
        return text + lines[end - 1][:finding["end_column"] - 1]

    def _label(self, finding) -> str:
        text = " ".join(self._source_span(finding).split())
        if not text:
            return f"line {finding['line']}"
        if len(text) > 40:
            text = text[:37] + "..."
        return f"`{text}` (line {finding['line']})"

    def _warnings(self, phase: Phase, word: str) -> str:
        for message in phase.logs:
            if word in message.lower():
                first = " ".join(message.split())
                return f"; TensorFlow warned: {first[:160]}"
        return ""

    def _overlay(self, findings: list) -> str | None:
        lines = list(self._original_lines(self.path))
        for finding in sorted(self.base + list(findings), key=lambda f: (f["line"], f["column"]), reverse=True):
            if os.path.abspath(finding["path"]) != self.path:
                return None
            span = self._source_span(finding)
            replacement = neutralizer(finding, span)
            if replacement is None:
                return None
            start, end = finding["line"], finding["end_line"]
            head = lines[start - 1][:finding["column"] - 1]
            tail = lines[end - 1][finding["end_column"] - 1:]
            lines[start - 1:end] = [head + replacement + tail] + ["\n"] * (end - start)
        text = "".join(lines)
        try:
            compile(text, self.path, "exec")
        except SyntaxError:
            return None
        return text


def separate_autograph_conversions() -> None:
    """Give AutoGraph a conversion cache that tells files apart, fresh for this job.

    AutoGraph caches a function's converted copy by its code object, and code
    objects compare equal when only their file differs: a function copied
    into a second module would run the first module's conversion, whose
    source map (line counts, error locations) names the first file.
    """
    try:
        from tensorflow.python.autograph.impl import api
        from tensorflow.python.autograph.pyct import cache
    except ImportError:
        return
    transpiler = getattr(api, "_TRANSPILER", None)
    if transpiler is None or not hasattr(transpiler, "_cache"):
        return

    class ByFile(cache.CodeObjectCache):
        def __init__(self) -> None:
            self._cache = {}  # held for one job only

        def _get_key(self, entity):
            code = getattr(entity, "__code__", None)
            return (code.co_filename, code.co_firstlineno, code) if code is not None else entity

    transpiler._cache = ByFile()


def _failures_text(failures: list[str]) -> str:
    """The distinct reasons, in order, at most two shown: for a ``skipped`` verdict."""
    distinct = list(dict.fromkeys(failures))
    if not distinct:
        return "none tried"
    text = "; ".join(distinct[:2])
    return text + (f"; and {len(distinct) - 2} other errors" if len(distinct) > 2 else "")


def _built_function(value, qualname: str):
    """The tf.function defined as ``qualname`` that ``value`` is or holds (a tuple, list or dict of them)."""
    candidates = [value]
    if isinstance(value, (tuple, list)):
        candidates += list(value)
    elif isinstance(value, dict):
        candidates += list(value.values())
    for candidate in candidates:
        if is_tf_function(candidate):
            function = inspect.unwrap(candidate.python_function)
            if getattr(function, "__qualname__", None) == qualname:
                return candidate
    return None


def _callee_name(span: str) -> str | None:
    """``append`` for ``history.append(x)``; None when the flagged code is not a call."""
    try:
        node = ast.parse(span.strip(), mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Call):
        function = node.func
        return function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
    return None


def _same_file(a: str, b: str) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)
