// The questions the commands ask, each from its own package: a bundle then holds these prompts
// and not every one @inquirer/prompts has (its editor prompt alone brings half a megabyte of
// character-set tables).
export { default as confirm } from '@inquirer/confirm';
export { default as input } from '@inquirer/input';
export { default as select } from '@inquirer/select';
