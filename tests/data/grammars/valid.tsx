const View = (props: { n: number }) => <span>{props.n}</span>;
