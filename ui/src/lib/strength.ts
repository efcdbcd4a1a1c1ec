// Password strength with zxcvbn (loaded only on the screens that need it).
export interface Strength {
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  warning: string;
}

const LABELS = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'];

let ready: Promise<(pw: string) => Strength> | null = null;

export function strengthChecker(): Promise<(pw: string) => Strength> {
  ready ??= (async () => {
    const [{ zxcvbn, zxcvbnOptions }, common] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
    ]);
    zxcvbnOptions.setOptions({
      dictionary: { ...common.dictionary },
      graphs: common.adjacencyGraphs,
    });
    return (pw: string) => {
      const r = zxcvbn(pw);
      return {
        score: r.score,
        label: LABELS[r.score],
        warning: r.feedback.warning ?? '',
      };
    };
  })();
  return ready;
}
